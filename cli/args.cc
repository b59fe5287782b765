#include "cli/args.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace heapstorm {

ArgParser::ArgParser(std::string usage_name, std::string positional, std::string summary)
    : usage_name_(std::move(usage_name)),
      positional_name_(std::move(positional)),
      summary_(std::move(summary)) {}

void ArgParser::String(const std::string& name, const std::string& value_name,
                       const std::string& help, std::string* out) {
  flags_.push_back({name, value_name, help, [out](const std::string& v) {
                      *out = v;
                      return absl::OkStatus();
                    }});
}

void ArgParser::Int(const std::string& name, const std::string& value_name,
                    const std::string& help, int64_t* out) {
  flags_.push_back({name, value_name, help, [out, name](const std::string& v) {
                      if (!absl::SimpleAtoi(v, out)) {
                        return absl::InvalidArgumentError(
                            absl::StrCat(name, ": expected a whole number, got '", v, "'"));
                      }
                      return absl::OkStatus();
                    }});
}

void ArgParser::Bool(const std::string& name, const std::string& help, bool* out) {
  flags_.push_back({name, "", help, [out](const std::string&) {
                      *out = true;
                      return absl::OkStatus();
                    }});
}

void ArgParser::List(const std::string& name, const std::string& value_name,
                     const std::string& help, std::vector<std::string>* out) {
  flags_.push_back({name, value_name, help, [out](const std::string& v) {
                      out->push_back(v);
                      return absl::OkStatus();
                    }});
}

const ArgParser::Flag* ArgParser::FindFlag(const std::string& name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status ArgParser::Parse(int argc, char** argv, int first) {
  bool flags_done = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '", name, "' (see ", usage_name_, " --help)"));
    }
    if (flag->value_name.empty()) {
      if (has_value) {
        return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      }
    } else if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " needs a value (", flag->value_name, ")"));
      }
      value = argv[++i];
    }
    absl::Status status = flag->set(value);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

std::string ArgParser::Help() const {
  std::string out = absl::StrCat("usage: ", usage_name_, flags_.empty() ? "" : " [flags]",
                                 positional_name_.empty() ? "" : " ", positional_name_, "\n\n",
                                 summary_, "\n");
  if (!flags_.empty()) {
    out += "\nflags:\n";
    size_t width = 0;
    std::vector<std::string> heads;
    for (const Flag& f : flags_) {
      heads.push_back(f.value_name.empty() ? f.name : absl::StrCat(f.name, " ", f.value_name));
      width = std::max(width, heads.back().size());
    }
    heads.push_back("--help");
    // A help of several lines: each line after the first starts under the first's text.
    const std::string indent = absl::StrCat("\n", std::string(width + 4, ' '));
    for (size_t i = 0; i < flags_.size(); ++i) {
      std::vector<std::string> lines = absl::StrSplit(flags_[i].help, '\n');
      for (std::string& line : lines) line = std::string(absl::StripLeadingAsciiWhitespace(line));
      absl::StrAppend(&out, "  ", heads[i], std::string(width - heads[i].size() + 2, ' '),
                      absl::StrJoin(lines, indent), "\n");
    }
    absl::StrAppend(&out, "  --help", std::string(width > 6 ? width - 6 + 2 : 2, ' '),
                    "show this help\n");
  }
  if (!epilog_.empty()) absl::StrAppend(&out, "\n", epilog_, "\n");
  return out;
}

}  // namespace heapstorm
