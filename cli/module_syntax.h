// A suite's script modules must parse: `run` and `validate` ask node (`node --check`)
// before anything runs, so a module with a syntax error is bad input (exit 2, with its
// file, line and column), not a failed run of every scenario that loads it.
#ifndef HEAPSTORM_CLI_MODULE_SYNTAX_H_
#define HEAPSTORM_CLI_MODULE_SYNTAX_H_

#include <string>
#include <vector>

#include "proto/suite.pb.h"
#include "worker/engine/engine.h"

namespace heapstorm {

// One line per module node cannot parse, each module once: "suite.yaml: scenario 'load'
// (and 2 more): module /m/a.js:3:25: SyntaxError: Unexpected token '*'". Empty when every
// module parses.
std::vector<std::string> ModuleSyntaxErrors(const Engine& engine, const v1::Suite& suite,
                                            const std::string& suite_path);

}  // namespace heapstorm

#endif  // HEAPSTORM_CLI_MODULE_SYNTAX_H_
