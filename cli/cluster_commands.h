// `heapstorm coordinator` and `heapstorm worker`: cluster mode (DESIGN.md §5, §7).
#ifndef HEAPSTORM_CLI_CLUSTER_COMMANDS_H_
#define HEAPSTORM_CLI_CLUSTER_COMMANDS_H_

namespace heapstorm {

int CoordinatorCommand(int argc, char** argv);
int WorkerCommand(int argc, char** argv);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_CLUSTER_COMMANDS_H_
