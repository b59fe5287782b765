#include "cli/validate_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/exit_codes.h"
#include "cli/module_syntax.h"
#include "scenarios/plan_estimate.h"
#include "scenarios/suite_loader.h"
#include "worker/engine/engine.h"

namespace heapstorm {

int ValidateCommand(int argc, char** argv) {
  ArgParser parser("heapstorm validate", "SUITE.yaml...",
                   "Checks suites without running them: syntax, keys, types, units, limits,\n"
                   "and that script modules exist, then (once all that holds) that node can\n"
                   "parse each module. Prints OK and a one-line summary per suite, or every\n"
                   "problem of the first of those two stages as file:line:column: field:\n"
                   "message. Warns (on stderr) about a plan too big for one machine, with\n"
                   "its estimated runs, coordinator memory and report size; refuses one\n"
                   "beyond any machine.");
  parser.Epilog("exit codes: 0 all suites are valid, 2 a suite is not (or bad usage).");
  absl::Status status = parser.Parse(argc, argv);
  if (!status.ok()) {
    std::cerr << "heapstorm validate: " << status.message() << "\n";
    return kExitBadInput;
  }
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (parser.positional().empty()) {
    std::cerr << "heapstorm validate: name at least one suite file\n\n" << parser.Help();
    return kExitBadInput;
  }
  int exit_code = kExitOk;
  // node parses the script modules when it is here; nothing of it is changed (no run
  // folders swept, no cgroups).
  EngineOptions engine_options;
  engine_options.keep_run_dirs = true;
  engine_options.use_cgroups = false;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(engine_options);
  for (const std::string& path : parser.positional()) {
    absl::StatusOr<v1::Suite> suite = LoadSuiteFile(path);
    if (!suite.ok()) {
      std::cerr << suite.status().message() << "\n";
      exit_code = kExitBadInput;
      continue;
    }
    if (engine.ok()) {
      const std::vector<std::string> unparsable = ModuleSyntaxErrors(**engine, *suite, path);
      for (const std::string& e : unparsable) std::cerr << e << "\n";
      if (!unparsable.empty()) {
        exit_code = kExitBadInput;
        continue;
      }
    } else {
      bool has_module = false;
      for (const v1::Scenario& s : suite->scenarios()) has_module |= s.has_script();
      if (has_module) {
        std::cerr << path << ": note: the modules' syntax was not checked: " << engine.status().message() << "\n";
      }
    }
    PlanEstimate estimate = EstimatePlan(*suite);
    const uint64_t runs = estimate.runs;
    std::cout << "OK " << path << ": suite '" << suite->name() << "', "
              << suite->scenarios_size() << " scenario" << (suite->scenarios_size() == 1 ? "" : "s")
              << ", " << runs << " run" << (runs == 1 ? "" : "s") << " planned\n";
    if (std::string warning = PlanWarning(estimate); !warning.empty()) {
      std::cerr << path << ": warning: " << warning << "\n";
    }
  }
  return exit_code;
}

}  // namespace heapstorm
