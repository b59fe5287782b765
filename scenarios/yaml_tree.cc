#include "scenarios/yaml_tree.h"

#include <exception>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/depthguard.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/mark.h"
#include "yaml-cpp/parser.h"

namespace heapstorm {
namespace {

// Builds YamlNode trees from yaml-cpp events. Container nodes are kept on a stack of
// pointers into their parents; a map collects keys and values in alternation.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(Diagnostics* diagnostics) : diagnostics_(diagnostics) {}

  bool too_big() const { return too_big_; }
  int documents() const { return documents_; }
  YamlNode& root() { return root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) {
      Error(mark, "a suite file holds one YAML document; found a second");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    YamlNode node;
    node.type = YamlNode::Type::kNull;
    SetMark(&node, mark);
    Add(std::move(node));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    Error(mark, "aliases (*name) are not supported in suites: write the value out, or use "
                "the suite's 'defaults' block");
    OnNull(mark, 0);
  }

  void OnAnchor(const YAML::Mark& mark, const std::string& name) override {
    Error(mark, absl::StrCat("anchors (&", name,
                             ") are not supported in suites: use the suite's 'defaults' block"));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                const std::string& value) override {
    YamlNode node;
    node.type = YamlNode::Type::kScalar;
    SetMark(&node, mark);
    node.value = value;
    // yaml-cpp tags quoted and block scalars "!", plain ones "?".
    node.quoted = (tag == "!");
    CheckTag(mark, tag);
    Add(std::move(node));
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    CheckTag(mark, tag);
    YamlNode node;
    node.type = YamlNode::Type::kSequence;
    SetMark(&node, mark);
    Push(std::move(node));
  }
  void OnSequenceEnd() override { Pop(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    CheckTag(mark, tag);
    YamlNode node;
    node.type = YamlNode::Type::kMap;
    SetMark(&node, mark);
    Push(std::move(node));
  }
  void OnMapEnd() override { Pop(); }

 private:
  struct Frame {
    YamlNode node;
    bool have_key = false;
    YamlNode pending_key;
    absl::flat_hash_map<std::string, std::pair<int, int>> seen_keys;
  };

  void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (!tag.empty() && tag != "!" && tag != "?") {
      Error(mark, absl::StrCat("YAML tags (", tag, ") are not supported in suites"));
    }
  }

  static void SetMark(YamlNode* node, const YAML::Mark& mark) {
    node->line = mark.line + 1;
    node->column = mark.column + 1;
  }

  void Error(const YAML::Mark& mark, std::string message) {
    diagnostics_->Add(mark.line + 1, mark.column + 1, "", std::move(message));
  }

  bool Count() {
    if (++nodes_ > kMaxYamlNodes) {
      if (!too_big_) {
        diagnostics_->Add(1, 1, "",
                          absl::StrCat("the document has more than ", kMaxYamlNodes, " nodes"));
      }
      too_big_ = true;
      return false;
    }
    return true;
  }

  void Push(YamlNode node) {
    if (!Count()) return;
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth) {
      diagnostics_->Add(node.line, node.column, "",
                        absl::StrCat("nesting deeper than ", kMaxYamlDepth, " levels"));
      too_big_ = true;
      ++ignored_depth_;
      return;
    }
    if (ignored_depth_ > 0) {
      ++ignored_depth_;
      return;
    }
    Frame frame;
    frame.node = std::move(node);
    stack_.push_back(std::move(frame));
  }

  void Pop() {
    if (ignored_depth_ > 0) {
      --ignored_depth_;
      return;
    }
    if (stack_.empty()) return;
    YamlNode done = std::move(stack_.back().node);
    stack_.pop_back();
    Add(std::move(done));
  }

  void Add(YamlNode node) {
    if (ignored_depth_ > 0) return;
    if (node.type != YamlNode::Type::kMap && node.type != YamlNode::Type::kSequence && !Count()) {
      return;
    }
    if (stack_.empty()) {
      if (documents_ <= 1) root_ = std::move(node);
      return;
    }
    Frame& top = stack_.back();
    if (top.node.type == YamlNode::Type::kSequence) {
      top.node.items.push_back(std::move(node));
      return;
    }
    if (!top.have_key) {
      top.pending_key = std::move(node);
      top.have_key = true;
      return;
    }
    top.have_key = false;
    if (!top.pending_key.IsScalar()) {
      diagnostics_->Add(top.pending_key.line, top.pending_key.column, "",
                        absl::StrCat("a key must be a plain word, got ",
                                     top.pending_key.TypeName()));
      return;
    }
    auto [it, inserted] = top.seen_keys.try_emplace(
        top.pending_key.value, std::make_pair(top.pending_key.line, top.pending_key.column));
    if (!inserted) {
      diagnostics_->Add(top.pending_key.line, top.pending_key.column, "",
                        absl::StrCat("duplicate key '", top.pending_key.value,
                                     "' (first at line ", it->second.first, ", column ",
                                     it->second.second, ")"));
      return;
    }
    top.node.entries.emplace_back(std::move(top.pending_key), std::move(node));
  }

  Diagnostics* diagnostics_;
  YamlNode root_;
  std::vector<Frame> stack_;
  int nodes_ = 0;
  int ignored_depth_ = 0;
  int documents_ = 0;
  bool too_big_ = false;
};

// Bytes a text file does not contain: NUL and the C0 controls other than tab, LF, CR.
bool FindBinary(absl::string_view text, int* line, int* column) {
  *line = 1;
  *column = 1;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return true;
    if (c == '\n') {
      ++*line;
      *column = 1;
    } else {
      ++*column;
    }
  }
  return false;
}

}  // namespace

const YamlNode* YamlNode::Entry(absl::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.value == key) return &v;
  }
  return nullptr;
}

const char* YamlNode::TypeName() const {
  switch (type) {
    case Type::kNull:
      return "nothing";
    case Type::kScalar:
      return "a single value";
    case Type::kSequence:
      return "a list";
    case Type::kMap:
      return "a mapping";
  }
  return "?";
}

bool ParseYaml(absl::string_view text, YamlNode* root, Diagnostics* diagnostics) {
  size_t before = diagnostics->items().size();
  int line = 0;
  int column = 0;
  if (FindBinary(text, &line, &column)) {
    diagnostics->Add(line, column, "",
                     "the file is not text (it contains a NUL or control byte)");
    return false;
  }
  std::string copy(text);
  std::istringstream stream(copy);
  TreeBuilder builder(diagnostics);
  try {
    YAML::Parser parser(stream);
    while (parser.HandleNextDocument(builder)) {
      if (builder.documents() > 1) return false;
      if (builder.too_big()) break;
    }
  } catch (const YAML::DeepRecursion& e) {
    diagnostics->Add(e.mark.line + 1, e.mark.column + 1, "",
                     absl::StrCat("nesting deeper than ", kMaxYamlDepth, " levels"));
    return false;
  } catch (const YAML::Exception& e) {
    int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    int column = e.mark.is_null() ? 1 : e.mark.column + 1;
    diagnostics->Add(line, column, "", absl::StrCat("YAML syntax error: ", e.msg));
    return false;
  } catch (const std::exception& e) {
    diagnostics->Add(1, 1, "", absl::StrCat("could not parse YAML: ", e.what()));
    return false;
  }
  *root = std::move(builder.root());
  return diagnostics->items().size() == before;
}

}  // namespace heapstorm
