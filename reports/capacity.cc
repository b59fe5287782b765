#include "reports/capacity.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/linear_fit.h"
#include "common/sizes.h"
#include "model/kinds.h"
#include "model/limits.h"
#include "model/parameters.h"
#include "model/units.h"
#include "reports/statistics.h"

namespace heapstorm {
namespace {

// The swept value of a point (its runs' variation) in the parameter's base unit, from the
// sweep's values; 0 when the variation is none of them.
double SweptValue(const ParameterSpec& spec, const v1::Sweep& sweep, const std::string& variation) {
  for (uint64_t value : sweep.values()) {
    if (variation == PointLabel(spec, value)) return BaseValue(spec, value);
  }
  return 0;
}

const char* LimitBroken(v1::Outcome o) {
  switch (o) {
    case v1::OUTCOME_HEAP_EXHAUSTED: return "old space";
    case v1::OUTCOME_NATIVE_OOM: return "native memory";
    case v1::OUTCOME_FD_EXHAUSTED: return "descriptors";
    case v1::OUTCOME_STACK_OVERFLOW: return "stack";
    default: return "";
  }
}

// The run ended at one of its limits (not completed, crashed or timed out).
bool BrokeALimit(const v1::RunResult& r) { return *LimitBroken(r.outcome()) != '\0'; }

// The descriptors a run held besides its units' (node's own, the driver's pipes).
double DescriptorBase(const v1::RunResult& r) {
  return static_cast<double>(r.peak_descriptors() - std::min<uint64_t>(r.units_reached(), r.peak_descriptors()));
}

// A sweep of a param of the load (entry_size), not of a limit.
bool SweepsALoadParam(const std::optional<ParameterSpec>& swept) { return swept && swept->param != nullptr; }

// Memory of a section at `units`: observed at the first checkpoint that reached it, else
// extrapolated from the run's fit.
double AtUnits(const v1::RunResult& r, uint64_t units, bool heap) {
  for (const v1::Checkpoint& c : r.checkpoints()) {
    if (c.units() >= units) return heap ? c.heap_used_bytes() : c.rss_bytes();
  }
  const v1::LinearFit& f = heap ? r.heap_per_unit() : r.rss_per_unit();
  return f.intercept() + f.slope() * static_cast<double>(units);
}

// What a unit of the scenario is, in the plural (its kind says).
std::string UnitName(const v1::Scenario& s) {
  const KindSpec* kind = KindOf(s);
  return kind != nullptr ? kind->unit : "iterations";
}

// Each unit of the scenario keeps a descriptor open (its kind says).
bool UnitHoldsDescriptor(const v1::Scenario& s) {
  const KindSpec* kind = KindOf(s);
  return kind != nullptr && kind->unit_holds_descriptor;
}

// "≈ 2,360 entries per MiB of old space + a 7Mi base (2,310–2,410 per MiB, 95%; 3 limits)":
// the swept parameter's words and step come from model/parameters.h. units = intercept +
// slope × limit, so the base (the limit at which no unit fits) is −intercept ÷ slope.
// A count's step is its own name ("descriptor" of "descriptors"): "per descriptor", "326
// descriptors"; an amount's is not: "per MiB of old space", "210Mi of old space".
bool CountsItself(const ParameterSpec& w) { return absl::StartsWith(w.display_name, w.step_name); }

std::string AmountOf(const ParameterSpec& w, double base_units) {
  return absl::StrCat(FormatBaseAmount(w, base_units), CountsItself(w) ? " " : " of ", w.display_name);
}

std::string ModelSummary(const v1::LinearFit& m, const std::string& unit_name, const ParameterSpec& w) {
  double per = m.slope() * w.step;
  std::string text = absl::StrCat("≈ ", FormatCount(per), " ", unit_name, " per ", w.step_name,
                                  CountsItself(w) ? "" : absl::StrCat(" of ", w.display_name));
  if (m.slope() > 0) {
    double base = -m.intercept() / m.slope();
    std::string base_text = FormatBaseAmount(w, std::fabs(base));
    absl::StrAppend(&text, base >= 0 ? absl::StrCat(" + a base of ", base_text) : absl::StrCat(" − ", base_text));
  }
  if (m.slope_low() != m.slope_high()) {
    absl::StrAppend(&text, " (", FormatCount(m.slope_low() * w.step), "–", FormatCount(m.slope_high() * w.step),
                    " per ", w.step_name, ", 95%; ", m.points(), " limits)");
  } else if (m.points() >= 3) {
    absl::StrAppend(&text, " (", m.points(), " limits, exactly on a line)");
  } else {
    absl::StrAppend(&text, " (", m.points(), " limits: too few for an interval)");
  }
  return text;
}

uint64_t CeilMiB(double bytes) { return static_cast<uint64_t>(std::ceil(std::max(0.0, bytes) / kMiB)); }

using RunsByVariation = std::map<std::string, std::vector<const v1::RunResult*>>;

// One configuration's figures over its repeats: where it broke (the median), the medians
// of its per-unit figures and their widest 95% intervals; `limit` is the swept value.
v1::CapacityPoint PointOf(const std::string& variation, const std::vector<const v1::RunResult*>& list, double limit) {
  v1::CapacityPoint p;
  p.set_variation(variation);
  p.set_limit(limit);
  std::vector<double> units, heap, ext, rss;
  int broken = 0;
  double heap_low = INFINITY, heap_high = -INFINITY, ext_low = INFINITY, ext_high = -INFINITY, rss_low = INFINITY,
         rss_high = -INFINITY;
  auto widen = [](const v1::LinearFit& f, double* low, double* high) {
    double lo = f.slope_low() == 0 && f.slope_high() == 0 ? f.slope() : f.slope_low();
    double hi = f.slope_low() == 0 && f.slope_high() == 0 ? f.slope() : f.slope_high();
    *low = std::min({*low, lo, f.slope()});
    *high = std::max({*high, hi, f.slope()});
  };
  for (const v1::RunResult* r : list) {
    units.push_back(static_cast<double>(r->units_reached()));
    heap.push_back(r->heap_per_unit().slope());
    ext.push_back(r->external_per_unit().slope());
    rss.push_back(r->rss_per_unit().slope());
    widen(r->heap_per_unit(), &heap_low, &heap_high);
    widen(r->external_per_unit(), &ext_low, &ext_high);
    widen(r->rss_per_unit(), &rss_low, &rss_high);
    broken += r->outcome() != v1::OUTCOME_COMPLETED;
  }
  p.set_outcome(list.front()->outcome());
  p.set_units_at_break(broken > 0 ? static_cast<uint64_t>(Median(units)) : 0);
  p.set_heap_bytes_per_unit(Median(heap));
  p.set_external_bytes_per_unit(Median(ext));
  p.set_rss_bytes_per_unit(Median(rss));
  p.set_heap_bytes_per_unit_low(heap_low);
  p.set_heap_bytes_per_unit_high(heap_high);
  p.set_external_bytes_per_unit_low(ext_low);
  p.set_external_bytes_per_unit_high(ext_high);
  p.set_rss_bytes_per_unit_low(rss_low);
  p.set_rss_bytes_per_unit_high(rss_high);
  p.set_per_unit_summary(absl::StrCat("heap ", FormatSizeWithInterval(p.heap_bytes_per_unit(), heap_low, heap_high),
                                      ", external ", FormatSizeWithInterval(p.external_bytes_per_unit(), ext_low, ext_high),
                                      ", RSS ", FormatSizeWithInterval(p.rss_bytes_per_unit(), rss_low, rss_high),
                                      " per unit"));
  return p;
}

// "heap per unit ≈ 1.01Ki per KiB of entry size + 152B (1Ki–1.02Ki per KiB, 95%; 3 points)".
std::string UnitCostSummary(const v1::LinearFit& m, const ParameterSpec& w) {
  std::string text = absl::StrCat("heap per unit ≈ ", FormatSize(m.slope() * w.step), " per ", w.step_name,
                                  CountsItself(w) ? "" : absl::StrCat(" of ", w.display_name),
                                  m.intercept() >= 0 ? " + " : " − ", FormatSize(std::fabs(m.intercept())));
  if (m.slope_low() != m.slope_high()) {
    absl::StrAppend(&text, " (", FormatSize(m.slope_low() * w.step), "–", FormatSize(m.slope_high() * w.step),
                    " per ", w.step_name, ", 95%; ", m.points(), " points)");
  } else {
    absl::StrAppend(&text, " (", m.points(),
                    m.points() >= 3 ? " points, exactly on a line)" : " points: too few for an interval)");
  }
  return text;
}

// The points of a scenario, by swept value. With two or more points of a sweep: for a
// limit, the model units at break = intercept + slope × value over its broken points; for a
// param of the load, what a unit costs against it (unit_cost), over every point.
void AddPointsAndModel(const v1::Scenario& s, const RunsByVariation& by_variation,
                       const std::optional<ParameterSpec>& swept, v1::CapacityReport* c) {
  const bool param = SweepsALoadParam(swept);
  std::vector<double> xs, ys;
  for (const auto& [variation, list] : by_variation) {
    v1::CapacityPoint p = PointOf(variation, list, swept ? SweptValue(*swept, s.sweep(), variation) : 0);
    const bool broken = std::any_of(list.begin(), list.end(),
                                    [](const v1::RunResult* r) { return r->outcome() != v1::OUTCOME_COMPLETED; });
    if (param) {
      xs.push_back(p.limit());
      ys.push_back(p.heap_bytes_per_unit());
    } else if (swept && broken) {
      xs.push_back(p.limit());
      ys.push_back(static_cast<double>(p.units_at_break()));
    }
    *c->add_points() = std::move(p);
  }
  std::sort(c->mutable_points()->begin(), c->mutable_points()->end(),
            [](const v1::CapacityPoint& a, const v1::CapacityPoint& b) { return a.limit() < b.limit(); });
  if (xs.size() < 2) return;
  Fit f = LeastSquares(xs, ys);
  if (param) {
    SetFit(f, c->mutable_unit_cost());
    c->set_unit_cost_summary(UnitCostSummary(c->unit_cost(), *swept));
    return;
  }
  SetFit(f, c->mutable_model());
  c->set_model_summary(ModelSummary(c->model(), UnitName(s), *swept));
}

// Which limit of `run` binds first, and at how many units: the one it broke, else the
// nearest by its own figures (old space by its heap per unit, native memory by its RSS per
// unit, descriptors at one per unit over the run's base when a unit holds one).
std::pair<std::string, double> BindingLimit(const v1::Scenario& s, const v1::RunResult& run) {
  std::string binding = LimitBroken(run.outcome());
  if (!binding.empty()) return {binding, static_cast<double>(run.units_reached())};
  const v1::Limits& limits = run.limits();
  double best = INFINITY;
  auto consider = [&](const char* name, double units) {
    if (units > 0 && units < best) {
      best = units;
      binding = name;
    }
  };
  auto by_fit = [](double limit, const v1::LinearFit& fit) {
    return limit > 0 && fit.slope() > 0 ? (limit - fit.intercept()) / fit.slope() : INFINITY;
  };
  consider("old space", by_fit(static_cast<double>(limits.max_old_space_mib() * kMiB), run.heap_per_unit()));
  consider("native memory", by_fit(static_cast<double>(limits.native_bytes()), run.rss_per_unit()));
  if (UnitHoldsDescriptor(s) && limits.max_descriptors() > 0) {
    consider("descriptors", static_cast<double>(limits.max_descriptors()) - DescriptorBase(run));
  }
  return {binding, best};
}

// The run a recommendation is read from: the one that got furthest, except in a sweep of a
// param of the load (entry_size), whose points cost differently per unit: there, the
// furthest run of the point that needs the most heap at the target, so that the
// recommendation holds at every point (the furthest run alone was the lightest point's).
const v1::RunResult* ReferenceRun(const RunsByVariation& by_variation, const std::optional<ParameterSpec>& swept,
                                  uint64_t target, const v1::RunResult* widest) {
  if (!SweepsALoadParam(swept)) return widest;
  const v1::RunResult* heaviest = widest;
  for (const auto& [variation, list] : by_variation) {
    const v1::RunResult* furthest = *std::max_element(
        list.begin(), list.end(),
        [](const v1::RunResult* a, const v1::RunResult* b) { return a->units_reached() < b->units_reached(); });
    if (AtUnits(*furthest, target, true) > AtUnits(*heaviest, target, true)) heaviest = furthest;
  }
  return heaviest;
}

// Where the model puts the target's breaking point on the swept value (base units): at the
// estimate, and at the slow end of the slope's interval (infinite without one). nullopt
// without a model.
struct ModelBreak {
  double needed;
  double slow;
  double bound() const { return std::isfinite(slow) ? std::max(slow, needed) : needed; }
};
std::optional<ModelBreak> BreakOfTarget(const v1::CapacityReport& c, uint64_t target,
                                        const std::optional<ParameterSpec>& swept) {
  if (!swept || c.model().points() < 2 || c.model().slope() <= 0) return std::nullopt;
  const v1::LinearFit& m = c.model();
  return ModelBreak{(static_cast<double>(target) - m.intercept()) / m.slope(),
                    m.slope_low() > 0 ? (static_cast<double>(target) - m.intercept_low()) / m.slope_low() : INFINITY};
}

// The recommendation for a limit that a sweep can vary, in its base units (0: none made).
double Recommended(const v1::CapacityReport& c, RecommendedLimit limit) {
  switch (limit) {
    case RecommendedLimit::kOldSpace:
      return static_cast<double>(c.recommended_old_space_mib()) * kMiB;
    case RecommendedLimit::kNative:
      return static_cast<double>(c.recommended_native_bytes());
    case RecommendedLimit::kDescriptors:
      return c.recommended_descriptors();
    default:
      return 0;
  }
}

// Sets that recommendation to `amount` (base units), rounded up to what it is counted in.
void SetRecommended(v1::CapacityReport* c, RecommendedLimit limit, double amount) {
  switch (limit) {
    case RecommendedLimit::kOldSpace:
      c->set_recommended_old_space_mib(CeilMiB(amount));
      break;
    case RecommendedLimit::kNative:
      c->set_recommended_native_bytes(CeilMiB(amount) * kMiB);
      break;
    case RecommendedLimit::kDescriptors:
      c->set_recommended_descriptors(static_cast<uint32_t>(std::ceil(amount)));
      break;
    default:
      break;
  }
}

// The model's view of the target: the swept value at which it breaks, at the estimate and
// at the slow end of the slope's interval, and the margin the recommendation keeps over
// the latter. "" without a model.
std::string ModelView(const v1::CapacityReport& c, uint64_t target, const std::optional<ParameterSpec>& swept) {
  const std::optional<ModelBreak> at = BreakOfTarget(c, target, swept);
  if (!at) return "";
  const ParameterSpec& w = *swept;
  const double needed = at->needed;
  const double slow = at->slow;
  std::string text = absl::StrCat("; by the model (", c.model_summary(), ") that load breaks at ",
                                  AmountOf(w, needed));
  if (std::isfinite(slow) && slow > needed) absl::StrAppend(&text, ", at most ", AmountOf(w, slow), " (95%)");
  double recommended = Recommended(c, w.recommended);
  double bound = at->bound();
  if (recommended > 0 && bound > 0) {
    absl::StrAppend(&text, ", so the recommended ", w.display_name, " keeps a margin of ",
                    absl::StrFormat("%+.0f%%", (recommended / bound - 1) * 100), " over it");
  }
  return text;
}

// The recommendation for the scenario's target load, from `run` (ReferenceRun).
void Recommend(const v1::Scenario& s, const v1::RunResult& run, const std::optional<ParameterSpec>& swept,
               v1::CapacityReport* c) {
  const uint64_t target = s.target_units();
  double heap = AtUnits(run, target, true);
  double rss = AtUnits(run, target, false);
  c->set_recommended_old_space_mib(std::max<uint64_t>(16, CeilMiB(heap * kRecommendationHeadroom)));
  // Never under the least native limit a suite may set (34Mi was refused as written).
  const uint64_t native = CeilMiB(rss * kRecommendationHeadroom) * kMiB;
  c->set_recommended_native_bytes(std::max(native, kMinNativeBytes));
  if (UnitHoldsDescriptor(s)) {
    c->set_recommended_descriptors(static_cast<uint32_t>(
        std::ceil((static_cast<double>(target) + DescriptorBase(run)) * kRecommendationHeadroom)));
  }
  // A sweep of the limit itself measured where the target breaks: the recommendation keeps
  // the same 15% over the model's 95% bound (the peak + 15% was 75Mi where the target broke
  // at up to 92.9Mi of old space, a margin of -19%; raised only to the bound, descriptors
  // read "≥ 3019" where 3,018 broke at 2,999 of 3,000: a margin of +0%).
  bool raised = false;
  if (const std::optional<ModelBreak> model = BreakOfTarget(*c, target, swept)) {
    const double needed = model->bound() * kRecommendationHeadroom;
    raised = swept->recommended != RecommendedLimit::kNone && needed > Recommended(*c, swept->recommended);
    if (raised) SetRecommended(c, swept->recommended, needed);
  }
  const auto [binding, at] = BindingLimit(s, run);
  c->set_binding_limit(binding);
  std::string unit_name = UnitName(s);
  std::string basis = "the peak at that load + 15%";
  if (SweepsALoadParam(swept)) absl::StrAppend(&basis, ", at ", run.variation(), ", the heaviest point");
  if (raised) {
    absl::StrAppend(&basis, "; the ", swept->display_name, " raised to where the model says that load breaks + 15%");
  }
  if (c->recommended_native_bytes() == kMinNativeBytes && native < kMinNativeBytes) {
    absl::StrAppend(&basis, "; native at the least a suite may set");
  }
  std::string sentence = absl::StrCat(
      "For ", FormatCount(static_cast<double>(target)), " ", unit_name, ": old space ≥ ",
      c->recommended_old_space_mib(), "Mi, native ≥ ", FormatSize(static_cast<double>(c->recommended_native_bytes())),
      c->recommended_descriptors() ? absl::StrCat(", descriptors ≥ ", c->recommended_descriptors()) : "", " (",
      basis, ")");
  absl::StrAppend(&sentence, ModelView(*c, target, swept));
  if (!binding.empty() && std::isfinite(at)) {
    // The runs of a sweep or a search ran under different limits: name the one read. A run
    // that broke says where; one that completed is projected by its costs per unit, and says
    // so (it read "gives out first, at about 191,030" of a run that completed 100,000).
    const bool broke = BrokeALimit(run);
    absl::StrAppend(&sentence,
                    run.variation().empty() ? "; with the limits it ran under"
                                            : absl::StrCat("; in its run at ", run.variation()),
                    ", the ", binding,
                    broke ? absl::StrCat(" gave out at ", FormatCount(at), " ", unit_name)
                          : absl::StrCat(" would give out first, at about ", FormatCount(at), " ", unit_name,
                                         " (by its costs per unit: it completed ",
                                         FormatCount(static_cast<double>(run.units_reached())), ")"));
  }
  c->set_recommendation(sentence + ".");
}

// Without a target: how far the furthest run that broke a limit got.
void RecommendFromBreak(const v1::Scenario& s, const RunsByVariation& by_variation, v1::CapacityReport* c) {
  const v1::RunResult* furthest_broken = nullptr;
  for (const auto& [v, list] : by_variation) {
    for (const v1::RunResult* r : list) {
      if (!BrokeALimit(*r)) continue;
      if (furthest_broken == nullptr || r->units_reached() > furthest_broken->units_reached()) furthest_broken = r;
    }
  }
  if (furthest_broken == nullptr) return;
  // Beside the table's median: "At most 39,515 entries (the furthest of 6 runs; their
  // median 39,202)", where it read "At most 39,515 units" under a table of 39202.
  std::vector<double> repeats;
  for (const v1::RunResult* r : by_variation.at(furthest_broken->variation())) {
    if (BrokeALimit(*r)) repeats.push_back(static_cast<double>(r->units_reached()));
  }
  c->set_binding_limit(LimitBroken(furthest_broken->outcome()));
  c->set_recommendation(absl::StrCat(
      "At most ", FormatCount(static_cast<double>(furthest_broken->units_reached())), " ", UnitName(s),
      furthest_broken->variation().empty() ? "" : absl::StrCat(" at ", furthest_broken->variation()),
      repeats.size() > 1
          ? absl::StrCat(" (the furthest of ", repeats.size(), " runs; their median ", FormatCount(Median(repeats)), ")")
          : "",
      " before the ", LimitBroken(furthest_broken->outcome()), " gave out; set target_units for a recommendation."));
}

}  // namespace

double PredictUnitsAtBreak(const v1::CapacityReport& c, double limit) {
  return c.model().intercept() + c.model().slope() * limit;
}

std::vector<v1::CapacityReport> BuildCapacity(const v1::Suite& suite,
                                              const std::vector<v1::RunResult>& runs,
                                              const std::vector<v1::SearchResult>& searches) {
  std::vector<v1::CapacityReport> out;
  for (const v1::Scenario& s : suite.scenarios()) {
    RunsByVariation by_variation;
    const v1::RunResult* widest = nullptr;  // the run that got furthest
    for (const v1::RunResult& r : runs) {
      if (r.scenario() != s.name() || absl::StrContains(r.variation(), "confirm@")) continue;
      by_variation[r.variation()].push_back(&r);
      if (widest == nullptr || r.units_reached() > widest->units_reached()) widest = &r;
    }
    bool broke = false;
    for (const auto& [v, list] : by_variation) {
      for (const v1::RunResult* r : list) broke |= r->outcome() != v1::OUTCOME_COMPLETED;
    }
    std::vector<v1::SearchResult> own_searches;
    for (const v1::SearchResult& sr : searches) {
      if (sr.scenario() == s.name()) own_searches.push_back(sr);
    }
    if (!broke && s.target_units() == 0 && !s.has_sweep() && own_searches.empty()) continue;
    if (by_variation.empty() && own_searches.empty()) continue;

    v1::CapacityReport c;
    c.set_scenario(s.name());
    c.set_parameter(s.has_sweep() ? s.sweep().parameter() : "");
    // The swept parameter, a limit or a param of the scenario's kind (nullopt without a sweep).
    const std::optional<ParameterSpec> swept =
        s.has_sweep() ? FindParameter(s.sweep().parameter(), KindOf(s)) : std::nullopt;
    AddPointsAndModel(s, by_variation, swept, &c);
    for (v1::SearchResult& sr : own_searches) *c.add_searches() = std::move(sr);
    c.set_target_units(s.target_units());
    if (s.target_units() > 0 && widest != nullptr) {
      Recommend(s, *ReferenceRun(by_variation, swept, s.target_units(), widest), swept, &c);
    } else if (broke && !s.has_search()) {
      RecommendFromBreak(s, by_variation, &c);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace heapstorm
