#include "tests/toy_kind.h"

#include "common/sizes.h"
#include "tests/toy_kind.pb.h"

namespace heapstorm {

KindSpec ToyPileKind() {
  KindSpec k;
  k.name = "toy_pile";
  k.params_prototype = &test::ToyPileParams::default_instance();
  k.unit = "bricks";
  k.unit_description = "one toy brick";
  k.params = {
      Sweepable(Required(CountParam("bricks", "bricks", 1, 1000000))),
      Sweepable(SizeParam("brick_size", "brick_bytes", 1, 1 * kMiB, 64)),
      ChoiceParam("color", "color", {"red", "blue"}, test::TOY_COLOR_RED),
  };
  k.target_param = "bricks";
  k.driver_entry = "runToyPile";
  k.unit_holds_descriptor = true;
  k.finish = [](const KindLoadContext&, google::protobuf::Message* message, std::vector<KindIssue>* issues) {
    const auto& p = static_cast<const test::ToyPileParams&>(*message);
    if (p.color() == test::TOY_COLOR_BLUE && p.brick_bytes() > 1024) {
      issues->push_back({"color", "brick_size", "blue bricks are at most 1Ki"});
    }
  };
  return k;
}

}  // namespace heapstorm
