#include "scenarios/diagnostics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace heapstorm {

bool Diagnostics::HasAt(const std::string& path) const {
  return std::any_of(items_.begin(), items_.end(), [&path](const Diagnostic& d) { return d.path == path; });
}

void Diagnostics::Add(int line, int column, std::string path, std::string message) {
  items_.push_back(Diagnostic{line, column, std::move(path), std::move(message)});
}

std::string Diagnostics::ToString() const {
  std::vector<Diagnostic> sorted = items_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string out;
  for (const Diagnostic& d : sorted) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, file_, ":", d.line, ":", d.column, ": ");
    if (!d.path.empty()) absl::StrAppend(&out, d.path, ": ");
    absl::StrAppend(&out, d.message);
  }
  return out;
}

absl::Status Diagnostics::ToStatus() const {
  if (items_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(ToString());
}

}  // namespace heapstorm
