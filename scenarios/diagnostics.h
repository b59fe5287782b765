// Errors about an input file, collected rather than stopping at the first, each naming
// the file, the 1-based line and column, and the field path:
//
//   suite.yaml:12:5: scenarios[2].limits.old_space: must be at least 16Mi, got 4Mi
#ifndef HEAPSTORM_SCENARIOS_DIAGNOSTICS_H_
#define HEAPSTORM_SCENARIOS_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace heapstorm {

struct Diagnostic {
  int line = 0;    // 1-based; 1:1 when the error is about the whole file
  int column = 0;  // 1-based
  std::string path;     // "scenarios[2].limits.old_space", "" at the top
  std::string message;  // what was expected and what was found
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void Add(int line, int column, std::string path, std::string message);
  bool empty() const { return items_.empty(); }
  // Whether something was said of the key at `path` already.
  bool HasAt(const std::string& path) const;
  const std::vector<Diagnostic>& items() const { return items_; }
  const std::string& file() const { return file_; }

  // One line per diagnostic, in file order: "file:line:col: path: message".
  std::string ToString() const;
  // OK when empty, else InvalidArgument carrying ToString().
  absl::Status ToStatus() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_DIAGNOSTICS_H_
