// `heapstorm compare BASELINE.json CURRENT.json`: regressions between two reports.
#ifndef HEAPSTORM_CLI_COMPARE_COMMAND_H_
#define HEAPSTORM_CLI_COMPARE_COMMAND_H_

namespace heapstorm {

int CompareCommand(int argc, char** argv);

// `heapstorm baseline update REPORT.json BASELINE.json`: accepts a run as the new baseline.
int BaselineCommand(int argc, char** argv);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_COMPARE_COMMAND_H_
