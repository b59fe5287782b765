#include "model/units.h"

#include <algorithm>
#include <iterator>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/sizes.h"

namespace heapstorm {
namespace {

constexpr double kMaxBytes = 9007199254740992.0;  // 2^53: exact in a double

struct Unit {
  const char* name;
  double factor;
};

constexpr Unit kSizeUnits[] = {
    {"B", 1.0},
    {"Ki", kKiB},
    {"KiB", kKiB},
    {"Mi", kMiB},
    {"MiB", kMiB},
    {"Gi", kGiB},
    {"GiB", kGiB},
    {"Ti", kTiB},
    {"TiB", kTiB},
    {"KB", 1e3},
    {"MB", 1e6},
    {"GB", 1e9},
    {"TB", 1e12},
};

constexpr Unit kDurationUnits[] = {
    {"ms", 1e-3},
    {"s", 1.0},
    {"m", 60.0},
    {"h", 3600.0},
};

// Splits "1.5Gi" into 1.5 and "Gi". False when there is no number.
bool SplitNumberAndUnit(absl::string_view text, double* number, absl::string_view* unit) {
  size_t i = 0;
  while (i < text.size() && (absl::ascii_isdigit(text[i]) || text[i] == '.')) ++i;
  if (i == 0) return false;
  absl::string_view digits = text.substr(0, i);
  if (digits.front() == '.' || digits.back() == '.') return false;
  if (!absl::SimpleAtod(digits, number)) return false;
  *unit = absl::StripLeadingAsciiWhitespace(text.substr(i));
  return true;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (!text.empty() && text[0] == '-') {
    return absl::InvalidArgumentError(absl::StrCat("a size cannot be negative, got '", text, "'"));
  }
  double number = 0;
  absl::string_view unit;
  if (!SplitNumberAndUnit(text, &number, &unit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a size such as 512Mi or 2Gi, got '", text, "'"));
  }
  if (unit.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a size needs a unit (B, Ki, Mi, Gi, Ti, KB, MB, GB, TB), got '", text, "'"));
  }
  for (const Unit& u : kSizeUnits) {
    if (unit != u.name) continue;
    double bytes = number * u.factor;
    if (bytes > kMaxBytes) {
      return absl::InvalidArgumentError(absl::StrCat("size '", text, "' is too large"));
    }
    if (bytes != std::floor(bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat("size '", text, "' is not a whole number of bytes"));
    }
    return static_cast<uint64_t>(bytes);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown size unit '", unit, "' in '", text,
      "' (expected B, Ki, Mi, Gi, Ti, KiB, MiB, GiB, TiB, KB, MB, GB or TB)"));
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (!text.empty() && text[0] == '-') {
    return absl::InvalidArgumentError(
        absl::StrCat("a duration cannot be negative, got '", text, "'"));
  }
  double number = 0;
  absl::string_view unit;
  if (!SplitNumberAndUnit(text, &number, &unit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a duration such as 500ms, 30s or 5m, got '", text, "'"));
  }
  if (unit.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a duration needs a unit (ms, s, m, h), got '", text, "'"));
  }
  for (const Unit& u : kDurationUnits) {
    if (unit != u.name) continue;
    double seconds = number * u.factor;
    if (seconds > 30.0 * 86400.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("duration '", text, "' is longer than 30 days"));
    }
    return absl::Milliseconds(std::llround(seconds * 1000.0));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown duration unit '", unit, "' in '", text,
                                                 "' (expected ms, s, m or h)"));
}

std::string FormatSize(double bytes) {
  static constexpr struct {
    const char* name;
    double factor;
  } kUnits[] = {{"Ti", kTiB}, {"Gi", kGiB}, {"Mi", kMiB}, {"Ki", kKiB}, {"B", 1.0}};
  const char* sign = bytes < 0 ? "-" : "";
  double magnitude = std::fabs(bytes);
  auto exact = [](double value, double scale) {
    double scaled = value * scale;
    return std::fabs(std::round(scaled) - scaled) < 1e-9 * std::max(1.0, scaled);
  };
  auto trimmed = [](double value) {
    std::string text = absl::StrFormat("%.2f", value);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  };
  // The largest unit the value reaches: exact to two decimals ("1.5Gi", "256Mi") ...
  size_t top = 0;
  while (top + 1 < std::size(kUnits) && magnitude < kUnits[top].factor) ++top;
  double value = magnitude / kUnits[top].factor;
  if (exact(value, 100.0)) return absl::StrCat(sign, trimmed(value), kUnits[top].name);
  // ... else three significant figures ("7.15Mi"); a hair below the next unit is that unit.
  if (top > 0 && value >= 1023.5) return absl::StrCat(sign, "1", kUnits[top - 1].name);
  return absl::StrCat(sign, value < 1000.0 ? absl::StrFormat("%.3g", value) : absl::StrFormat("%.0f", value),
                      kUnits[top].name);
}

std::string FormatSizeWithInterval(double bytes, double low, double high) {
  if (low > high) std::swap(low, high);
  std::string interval = low == high ? "" : absl::StrCat(" (", FormatSize(low), "–", FormatSize(high), ")");
  if (low <= 0 && high >= 0 && bytes < 1) return absl::StrCat("≈ 0", interval);
  return absl::StrCat(FormatSize(bytes), interval);
}

std::string FormatCount(double value) {
  if (!std::isfinite(value)) return value > 0 ? "∞" : "-∞";
  if (std::fabs(value) < 10) return absl::StrFormat("%.3g", value);
  std::string digits = absl::StrFormat("%.0f", std::fabs(value));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return (value < 0 ? "-" : "") + out;
}

std::string FormatShortDuration(absl::Duration d) {
  if (d < absl::Seconds(1)) {
    return absl::StrCat(absl::StrFormat("%.0f", absl::ToDoubleMilliseconds(d)), "ms");
  }
  if (d < absl::Minutes(1)) {
    return absl::StrCat(absl::StrFormat("%.3g", absl::ToDoubleSeconds(d)), "s");
  }
  if (d % absl::Hours(1) == absl::ZeroDuration()) return absl::StrCat(absl::ToInt64Hours(d), "h");
  if (d % absl::Minutes(1) == absl::ZeroDuration()) {
    return absl::StrCat(absl::ToInt64Minutes(d), "m");
  }
  int64_t minutes = absl::ToInt64Minutes(d);
  double seconds = absl::ToDoubleSeconds(d - absl::Minutes(minutes));
  return absl::StrCat(minutes, "m", absl::StrFormat("%.0f", seconds), "s");
}

}  // namespace heapstorm
