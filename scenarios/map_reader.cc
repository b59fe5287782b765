#include "scenarios/map_reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "model/units.h"

namespace heapstorm {
namespace {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// "from 1 to 1000", or "of at least 1" when the maximum is only a sanity bound.
std::string RangeText(uint64_t min, uint64_t max) {
  if (max >= (1ULL << 32)) return absl::StrCat("of at least ", min);
  return absl::StrCat("from ", min, " to ", max);
}

}  // namespace

std::string Suggest(absl::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string KeyPath(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Quote(const YamlNode& node) {
  if (node.IsScalar()) {
    std::string shown = node.value.size() > 60 ? node.value.substr(0, 57) + "..." : node.value;
    return absl::StrCat("'", shown, "'");
  }
  return node.TypeName();
}

const YamlNode* MapReader::Find(absl::string_view key) {
  known_.emplace_back(key);
  for (const auto& [k, v] : node_.entries) {
    if (k.value == key) return &v;
  }
  return nullptr;
}

void MapReader::Finish(const std::function<std::string(const std::string&)>& explain) {
  for (const auto& [k, v] : node_.entries) {
    if (std::find(known_.begin(), known_.end(), k.value) != known_.end()) continue;
    std::string message = explain ? explain(k.value) : "";
    if (message.empty()) {
      message = absl::StrCat("unknown key '", k.value, "'");
      std::string suggestion = Suggest(k.value, known_);
      if (!suggestion.empty()) {
        absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
      } else {
        std::vector<std::string> sorted = known_;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        absl::StrAppend(&message, " (expected one of: ", absl::StrJoin(sorted, ", "), ")");
      }
    }
    Error(k, KeyPath(path_, k.value), message);
  }
}

bool MapReader::String(absl::string_view key, std::string* out) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  if (!v->IsScalar()) {
    Error(*v, KeyPath(path_, key), absl::StrCat("expected text, got ", v->TypeName()));
    return false;
  }
  *out = v->value;
  return true;
}

bool MapReader::Count(absl::string_view key, uint64_t min, uint64_t max, uint64_t* out) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  uint64_t value = 0;
  std::string text = v->IsScalar() ? v->value : "";
  // A whole number past the maximum, or past what 64 bits hold: say so, not "of at least".
  const bool digits = v->IsScalar() && !v->quoted && !text.empty() &&
                      std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
  if (digits && (!absl::SimpleAtoi(text, &value) || value > max)) {
    Error(*v, KeyPath(path_, key), absl::StrCat("must be at most ", max, ", got ", text));
    return false;
  }
  if (!v->IsScalar() || v->quoted || !absl::SimpleAtoi(text, &value) ||
      (!text.empty() && text[0] == '-')) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("expected a whole number ", RangeText(min, max), ", got ",
                             Quote(*v)));
    return false;
  }
  if (value < min || value > max) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("must be a whole number ", RangeText(min, max), ", got ", value));
    return false;
  }
  *out = value;
  return true;
}

bool MapReader::Count32(absl::string_view key, uint64_t min, uint64_t max, uint32_t* out) {
  uint64_t value = 0;
  if (!Count(key, min, max, &value)) return false;
  *out = static_cast<uint32_t>(value);
  return true;
}

bool MapReader::Size(absl::string_view key, uint64_t min, uint64_t max, uint64_t granule, uint64_t* out) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  if (!v->IsScalar()) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("expected a size such as 256Mi, got ", v->TypeName()));
    return false;
  }
  absl::StatusOr<uint64_t> bytes = ParseSize(v->value);
  if (!bytes.ok()) {
    Error(*v, KeyPath(path_, key), std::string(bytes.status().message()));
    return false;
  }
  if (*bytes < min || *bytes > max) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("must be from ", FormatSize(min), " to ", FormatSize(max),
                             ", got ", v->value));
    return false;
  }
  if (*bytes % granule != 0) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("must be a whole number of ", FormatSize(granule).substr(1),
                             "B, got ", v->value));
    return false;
  }
  *out = *bytes;
  return true;
}

bool MapReader::Duration(absl::string_view key, absl::Duration min, absl::Duration max, uint64_t* out_ms) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  if (!v->IsScalar()) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("expected a duration such as 30s, got ", v->TypeName()));
    return false;
  }
  absl::StatusOr<absl::Duration> d = ParseDuration(v->value);
  if (!d.ok()) {
    Error(*v, KeyPath(path_, key), std::string(d.status().message()));
    return false;
  }
  if (*d < min || *d > max) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("must be from ", FormatShortDuration(min), " to ", FormatShortDuration(max),
                             ", got ", v->value));
    return false;
  }
  *out_ms = static_cast<uint64_t>(absl::ToInt64Milliseconds(*d));
  return true;
}

bool MapReader::Bool(absl::string_view key, bool* out) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  if (v->IsScalar() && !v->quoted && (v->value == "true" || v->value == "false")) {
    *out = v->value == "true";
    return true;
  }
  Error(*v, KeyPath(path_, key), absl::StrCat("expected true or false, got ", Quote(*v)));
  return false;
}

bool MapReader::Fraction(absl::string_view key, double min, double max, double* out) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return false;
  double value = 0;
  bool ok = v->IsScalar() && !v->quoted;
  if (ok) {
    absl::string_view text = v->value;
    bool percent = absl::ConsumeSuffix(&text, "%");
    ok = absl::SimpleAtod(text, &value) && std::isfinite(value);
    if (percent) value /= 100.0;
  }
  if (!ok) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("expected a number such as 0.05 or 5%, got ", Quote(*v)));
    return false;
  }
  if (!(value > min && value <= max)) {
    Error(*v, KeyPath(path_, key),
                absl::StrCat("must be above ", min, " and at most ", max, ", got ", v->value));
    return false;
  }
  *out = value;
  return true;
}

int MapReader::Choice(absl::string_view key, const std::vector<std::string>& names) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return 0;
  if (v->IsScalar()) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (v->value == names[i]) return static_cast<int>(i) + 1;
    }
  }
  std::string message =
      absl::StrCat("expected one of ", absl::StrJoin(names, ", "), ", got ", Quote(*v));
  if (v->IsScalar()) {
    std::string suggestion = Suggest(v->value, names);
    if (!suggestion.empty()) absl::StrAppend(&message, "; did you mean '", suggestion, "'?");
  }
  Error(*v, KeyPath(path_, key), message);
  return 0;
}

const YamlNode* MapReader::Map(absl::string_view key) {
  const YamlNode* v = Find(key);
  if (v == nullptr || v->IsNull()) return nullptr;
  if (!v->IsMap()) {
    Error(*v, KeyPath(path_, key), absl::StrCat("expected a mapping, got ", v->TypeName()));
    return nullptr;
  }
  return v;
}

void Require(Diagnostics* diagnostics, const YamlNode& at, const std::string& path, const char* key,
             bool present) {
  if (!present && at.IsMap()) {
    bool written = false;
    for (const auto& [k, v] : at.entries) written |= (k.value == key);
    if (!written) diagnostics->Add(at.line, at.column, KeyPath(path, key), "is required");
  }
}

}  // namespace heapstorm
