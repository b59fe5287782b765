// script: a unit is one call of the user's `iteration(i)`, from a CommonJS or ES module
// resolved against the suite's folder. The only kind a leak check runs.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "model/kinds/builtin.h"
#include "model/units.h"

namespace heapstorm {
namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  if (base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

// The module must be a JavaScript file that exists (unless the fuzzer says not to look).
void CheckModule(const KindLoadContext& ctx, google::protobuf::Message* message, std::vector<KindIssue>* issues) {
  if (ctx.given.count("module") == 0) return;
  auto& p = static_cast<v1::ScriptParams&>(*message);
  const std::string& module = p.module();
  auto issue = [issues](std::string text) { issues->push_back({"module", "module", std::move(text)}); };
  if (module.empty()) return issue("must name a JavaScript module file");
  if (!absl::EndsWith(module, ".js") && !absl::EndsWith(module, ".cjs") && !absl::EndsWith(module, ".mjs")) {
    return issue(absl::StrCat("must be a .js, .cjs or .mjs file, got '", module, "'"));
  }
  std::string resolved = ResolvePath(ctx.base_dir, module);
  p.set_module_path(resolved);
  if (!ctx.check_files) return;
  struct stat st;
  if (stat(resolved.c_str(), &st) != 0) {
    return issue(absl::StrCat("cannot read '", resolved, "': ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return issue(absl::StrCat("'", resolved, "' is not a regular file"));
  if (static_cast<uint64_t>(st.st_size) > ctx.max_module_bytes) {
    issue(absl::StrCat("'", resolved, "' is ", FormatSize(st.st_size), ", more than the ",
                       FormatSize(ctx.max_module_bytes), " a module may have"));
  }
}

}  // namespace

KindSpec ScriptKind() {
  KindSpec k;
  k.name = "script";
  k.id = v1::SCENARIO_KIND_SCRIPT;
  k.params_field = "script";
  k.params_prototype = &v1::ScriptParams::default_instance();
  k.unit = "iterations";
  k.unit_description = "one call of your `iteration(i)`";
  k.params = {
      Required(TextParam("module", "module")),
      Sweepable(Required(CountParam("iterations", "iterations", 1, 1ULL << 40))),
  };
  k.params[0].note = "; a .js, .cjs or .mjs file relative to the suite";
  k.target_param = "iterations";
  k.driver_entry = "runScript";
  k.leak_check = true;
  k.finish = CheckModule;
  return k;
}

}  // namespace heapstorm
