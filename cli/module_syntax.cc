#include "cli/module_syntax.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace heapstorm {

std::vector<std::string> ModuleSyntaxErrors(const Engine& engine, const v1::Suite& suite,
                                            const std::string& suite_path) {
  // Each module once, with the scenarios that load it, in the suite's order.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> users;
  for (const v1::Scenario& s : suite.scenarios()) {
    if (!s.has_script() || s.script().module_path().empty()) continue;
    std::vector<std::string>& names = users[s.script().module_path()];
    if (names.empty()) order.push_back(s.script().module_path());
    names.push_back(s.name());
  }
  std::vector<std::string> errors;
  for (const std::string& module : order) {
    absl::Status parsed = engine.CheckModuleSyntax(module);
    if (parsed.ok()) continue;
    const std::vector<std::string>& names = users[module];
    errors.push_back(absl::StrCat(suite_path, ": scenario '", names.front(), "'",
                                  names.size() > 1 ? absl::StrCat(" (and ", names.size() - 1, " more)") : "",
                                  ": module ", parsed.message()));
  }
  return errors;
}

}  // namespace heapstorm
