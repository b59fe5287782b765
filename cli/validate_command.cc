#include "cli/validate_command.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/args.h"
#include "cli/exit_codes.h"
#include "scenarios/suite_loader.h"

namespace heapstorm {

int ValidateCommand(int argc, char** argv) {
  ArgParser parser("heapstorm validate", "SUITE.yaml...",
                   "Checks suites without running them: syntax, keys, types, units, limits,\n"
                   "and that script modules exist. Prints OK and a one-line summary per\n"
                   "suite, or every problem as file:line:column: field: message. Warns (on\n"
                   "stderr) about a plan too big for one machine, with its estimated runs,\n"
                   "coordinator memory and report size; refuses one beyond any machine.");
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
  for (const std::string& path : parser.positional()) {
    absl::StatusOr<v1::Suite> suite = LoadSuiteFile(path);
    if (!suite.ok()) {
      std::cerr << suite.status().message() << "\n";
      exit_code = kExitBadInput;
      continue;
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
