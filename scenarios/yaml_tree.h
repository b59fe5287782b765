// A YAML document as a small tree that keeps the position of every node.
//
// yaml-cpp's node API forgets positions of values it converts, accepts duplicate keys and
// expands aliases; heapstorm wants none of that. ParseYaml() drives yaml-cpp's event
// parser and builds this tree itself, so it can reject what suites must not contain:
// aliases and anchors, duplicate keys, more than one document, nesting deeper than
// kMaxYamlDepth, more than kMaxYamlNodes nodes, or bytes that are not text.
#ifndef HEAPSTORM_SCENARIOS_YAML_TREE_H_
#define HEAPSTORM_SCENARIOS_YAML_TREE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "scenarios/diagnostics.h"

namespace heapstorm {

inline constexpr int kMaxYamlDepth = 64;
inline constexpr int kMaxYamlNodes = 200000;

struct YamlNode {
  enum class Type { kNull, kScalar, kSequence, kMap };

  Type type = Type::kNull;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string value;       // kScalar
  bool quoted = false;     // kScalar written in quotes (always a string)
  std::vector<YamlNode> items;                         // kSequence
  std::vector<std::pair<YamlNode, YamlNode>> entries;  // kMap, in file order

  bool IsNull() const { return type == Type::kNull; }
  bool IsScalar() const { return type == Type::kScalar; }
  bool IsSequence() const { return type == Type::kSequence; }
  bool IsMap() const { return type == Type::kMap; }
  // "a string", "a list", "a mapping", "nothing": for messages.
  const char* TypeName() const;
  // The value of a map's `key`; nullptr when this is not a map or has no such key.
  const YamlNode* Entry(absl::string_view key) const;
};

// Parses `text`. On failure returns false with every problem found in `diagnostics`
// (a syntax error stops the parse; structural problems are all reported). An empty
// document yields a kNull root and true.
bool ParseYaml(absl::string_view text, YamlNode* root, Diagnostics* diagnostics);

}  // namespace heapstorm

#endif  // HEAPSTORM_SCENARIOS_YAML_TREE_H_
