// `heapstorm run SUITE.yaml`: runs a suite on this machine and reports.
#ifndef HEAPSTORM_CLI_RUN_COMMAND_H_
#define HEAPSTORM_CLI_RUN_COMMAND_H_

namespace heapstorm {

int RunCommand(int argc, char** argv);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_RUN_COMMAND_H_
