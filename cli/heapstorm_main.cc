// `heapstorm`: one binary with subcommands (DESIGN.md §7). This file only dispatches.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/cluster_commands.h"
#include "cli/compare_command.h"
#include "cli/exit_codes.h"
#include "cli/run_command.h"
#include "cli/validate_command.h"
#include "common/version.h"

namespace heapstorm {
namespace {

constexpr char kUsage[] =
    "usage: heapstorm COMMAND [flags] [args]\n"
    "\n"
    "heapstorm runs memory scenarios in real Node.js processes under limits (old space,\n"
    "semi space, stack, native memory, descriptors, time), reports what broke first, and\n"
    "fails CI when memory regresses or leaks.\n"
    "\n"
    "commands:\n"
    "  run SUITE.yaml                          run a suite on this machine and report\n"
    "  coordinator SUITE.yaml                  serve a suite to workers (--listen HOST:PORT)\n"
    "  worker                                  run scenarios for a coordinator\n"
    "  compare BASE.json CURRENT.json          regressions between two reports\n"
    "  baseline update REPORT.json BASE.json   accept a run as the new baseline\n"
    "  validate SUITE.yaml...                  check suites without running them\n"
    "  version                                 print heapstorm's version (also --version)\n"
    "\n"
    "Run 'heapstorm COMMAND --help' for a command's flags.\n"
    "exit codes: 0 expectations held, 1 an expectation failed (or a leak or regression),\n"
    "            2 bad input or usage, 3 heapstorm could not do its job.\n";

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitBadInput;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "--version" || command == "version") {
    std::cout << "heapstorm " << kHeapstormVersion << "\n";
    return kExitOk;
  }
  if (command == "run") return RunCommand(argc, argv);
  if (command == "coordinator") return CoordinatorCommand(argc, argv);
  if (command == "worker") return WorkerCommand(argc, argv);
  if (command == "compare") return CompareCommand(argc, argv);
  if (command == "baseline") return BaselineCommand(argc, argv);
  if (command == "validate") return ValidateCommand(argc, argv);
  std::cerr << "heapstorm: unknown command '" << command << "'\n\n" << kUsage;
  return kExitBadInput;
}

}  // namespace
}  // namespace heapstorm

int main(int argc, char** argv) { return heapstorm::Main(argc, argv); }
