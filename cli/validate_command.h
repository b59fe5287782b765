// `heapstorm validate SUITE.yaml...`: loads each suite and prints OK with a summary, or
// every problem with file:line:col and field path. Exit 0 when all are valid, 2 if not.
#ifndef HEAPSTORM_CLI_VALIDATE_COMMAND_H_
#define HEAPSTORM_CLI_VALIDATE_COMMAND_H_

namespace heapstorm {

int ValidateCommand(int argc, char** argv);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_VALIDATE_COMMAND_H_
