// Reading one YAML mapping of a suite into typed values, with located errors: each getter
// checks its key's type and bounds and reports a problem at the key's line and column with
// its field path; Finish() reports every key no getter asked for, with "did you mean". The
// suite loader and the reader of kind params (kind_params.h) use it.
#ifndef HEAPSTORM_SCENARIOS_MAP_READER_H_
#define HEAPSTORM_SCENARIOS_MAP_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "scenarios/diagnostics.h"
#include "scenarios/yaml_tree.h"

namespace heapstorm {

// "path.key", or "key" at the top.
std::string KeyPath(const std::string& path, absl::string_view key);

// A scalar as shown in a message ('abc', cut at 60 characters), else its type name.
std::string Quote(const YamlNode& node);

// The candidate closest to `word` by edit distance (case-insensitive), or "" when none is
// close enough to suggest.
std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates);

// Reports `path.key: is required` at `at` when `present` is false and the mapping `at`
// does not even have the key (a key written with a bad value has its own error).
void Require(Diagnostics* diagnostics, const YamlNode& at, const std::string& path, const char* key,
             bool present);

// Reads the keys of one mapping. Each getter marks its key as known; Finish() reports
// every key that no getter asked for. Holds references: `node` and `diagnostics` must
// outlive it.
class MapReader {
 public:
  MapReader(Diagnostics* diagnostics, const YamlNode& node, std::string path)
      : diagnostics_(diagnostics), node_(node), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const YamlNode& node() const { return node_; }

  // The value of `key`; nullptr when absent. Marks the key as known.
  const YamlNode* Find(absl::string_view key);

  // Reports unknown keys. `explain` may return a better message for a key (e.g. a
  // parameter of another kind); "" falls back to "did you mean".
  void Finish(const std::function<std::string(const std::string&)>& explain = nullptr);

  // A scalar as text. Returns true when present and valid (so for the getters below).
  bool String(absl::string_view key, std::string* out);

  // A whole number in [min, max]. Returns true when present and valid.
  bool Count(absl::string_view key, uint64_t min, uint64_t max, uint64_t* out);

  // Count() into a 32-bit value (max must fit).
  bool Count32(absl::string_view key, uint64_t min, uint64_t max, uint32_t* out);

  // A size in bytes in [min, max] that is a multiple of `granule`; written "512Mi".
  bool Size(absl::string_view key, uint64_t min, uint64_t max, uint64_t granule, uint64_t* out);

  // A duration in [min, max], written "30s"; stored in milliseconds.
  bool Duration(absl::string_view key, absl::Duration min, absl::Duration max, uint64_t* out_ms);

  // true or false, unquoted.
  bool Bool(absl::string_view key, bool* out);

  // A number in (min, max], written as a decimal or a percentage ("5%").
  bool Fraction(absl::string_view key, double min, double max, double* out);

  // One of `names`; returns its index + 1 (0 when absent or invalid).
  int Choice(absl::string_view key, const std::vector<std::string>& names);

  // A nested mapping; nullptr when absent. Reports a non-mapping.
  const YamlNode* Map(absl::string_view key);

 private:
  void Error(const YamlNode& at, const std::string& path, std::string message) {
    diagnostics_->Add(at.line, at.column, path, std::move(message));
  }

  Diagnostics* diagnostics_;
  const YamlNode& node_;
  std::string path_;
  std::vector<std::string> known_;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_MAP_READER_H_
