// A small declarative command-line parser for the subcommands, so each one has its own
// flags and its own --help (absl::flags is one global set for the whole binary).
//
//   ArgParser p("heapstorm run", "SUITE.yaml", "Runs a suite on this machine.");
//   int workers = 0;
//   p.Int("--workers", "N", "worker processes (default: one per core)", &workers);
//   absl::Status s = p.Parse(argc, argv);   // InvalidArgument names the bad flag
//   if (p.help_requested()) { std::cout << p.Help(); return 0; }
//
// Flags take "--flag value" or "--flag=value"; "--" ends the flags.
#ifndef HEAPSTORM_CLI_ARGS_H_
#define HEAPSTORM_CLI_ARGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace heapstorm {

class ArgParser {
 public:
  ArgParser(std::string usage_name, std::string positional, std::string summary);

  void String(const std::string& name, const std::string& value_name, const std::string& help,
              std::string* out);
  void Int(const std::string& name, const std::string& value_name, const std::string& help,
           int64_t* out);
  void Bool(const std::string& name, const std::string& help, bool* out);
  // A flag that may repeat; every value is appended.
  void List(const std::string& name, const std::string& value_name, const std::string& help,
            std::vector<std::string>* out);
  // Free text shown after the flags in --help.
  void Epilog(std::string text) { epilog_ = std::move(text); }

  // Parses argv[first..argc). InvalidArgument for an unknown flag, a missing value or a
  // malformed number; the message names the flag.
  absl::Status Parse(int argc, char** argv, int first = 2);

  bool help_requested() const { return help_; }
  const std::vector<std::string>& positional() const { return positional_; }
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // "" for a boolean
    std::string help;
    std::function<absl::Status(const std::string&)> set;
  };
  const Flag* FindFlag(const std::string& name) const;

  std::string usage_name_;
  std::string positional_name_;
  std::string summary_;
  std::string epilog_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_ARGS_H_
