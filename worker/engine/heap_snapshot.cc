#include "worker/engine/heap_snapshot.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/utf8.h"

namespace heapstorm {
namespace {

constexpr size_t kChunk = 1 << 20;

// A forward-only reader over a file, one byte at a time from a 1 MiB buffer.
class Stream {
 public:
  explicit Stream(FILE* file) : file_(file), buffer_(new char[kChunk]) {}

  // The next byte, or -1 at the end.
  int Next() {
    if (pos_ == len_ && !Fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int Peek() {
    if (pos_ == len_ && !Fill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }

  // Moves past the next occurrence of `token`. False at the end of the file.
  bool SkipPast(const std::string& token) {
    size_t matched = 0;
    while (true) {
      int c = Next();
      if (c < 0) return false;
      if (c == static_cast<unsigned char>(token[matched])) {
        if (++matched == token.size()) return true;
      } else {
        // Tokens here have no repeated prefix that matters except a leading quote.
        matched = c == static_cast<unsigned char>(token[0]) ? 1 : 0;
      }
    }
  }

  // Skips whitespace and commas; returns the next significant byte without consuming it.
  int SkipSeparators() {
    while (true) {
      int c = Peek();
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',') {
        ++pos_;
        continue;
      }
      return c;
    }
  }

  // The next unsigned integer of an array; false at its closing bracket.
  bool NextNumber(uint64_t* out) {
    int c = SkipSeparators();
    if (c == ']' || c < 0) {
      if (c == ']') ++pos_;
      return false;
    }
    uint64_t value = 0;
    while ((c = Peek()) >= '0' && c <= '9') {
      value = value * 10 + static_cast<uint64_t>(c - '0');
      ++pos_;
    }
    *out = value;
    return true;
  }

  // The next JSON string of an array (decoded to UTF-8); false at its closing bracket.
  // When `keep` is false the characters are skipped, not stored.
  bool NextString(std::string* out, bool keep) {
    int c = SkipSeparators();
    if (c == ']' || c < 0) {
      if (c == ']') ++pos_;
      return false;
    }
    if (c != '"') return false;
    ++pos_;
    out->clear();
    while (true) {
      c = Next();
      if (c < 0 || c == '"') return true;
      if (c != '\\') {
        if (keep) out->push_back(static_cast<char>(c));
        continue;
      }
      c = Next();
      if (!keep) {
        if (c == 'u') for (int i = 0; i < 4; ++i) Next();
        continue;
      }
      switch (c) {
        case 'n': out->push_back('\n'); break;
        case 't': out->push_back('\t'); break;
        case 'r': out->push_back('\r'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'u': {
          unsigned code = 0;
          for (int i = 0; i < 4; ++i) {
            int h = Next();
            code = code * 16 + static_cast<unsigned>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          }
          // A lone surrogate comes out as its 3-byte form; results are repaired later.
          AppendUtf8(static_cast<char32_t>(code), out);
          break;
        }
        default: out->push_back(static_cast<char>(c)); break;
      }
    }
  }

  // Skips the rest of an array of numbers up to and past its closing bracket.
  bool SkipNumberArray() {
    while (true) {
      if (pos_ == len_ && !Fill()) return false;
      const char* end = static_cast<const char*>(std::memchr(buffer_.get() + pos_, ']', len_ - pos_));
      if (end != nullptr) {
        pos_ = static_cast<size_t>(end - buffer_.get()) + 1;
        return true;
      }
      pos_ = len_;
    }
  }

 private:
  bool Fill() {
    len_ = std::fread(buffer_.get(), 1, kChunk, file_);
    pos_ = 0;
    return len_ > 0;
  }

  FILE* file_;
  std::unique_ptr<char[]> buffer_;
  size_t pos_ = 0;
  size_t len_ = 0;
};

// The node types of a string: flat, concatenated (V8's cons string) and sliced.
bool IsStringType(const std::string& type) {
  return type == "string" || type == "concatenated string" || type == "sliced string";
}

// How a node is named in a culprit list: constructors for objects, a class of thing else.
bool NeedsName(const std::string& type) {
  return type == "object" || type == "closure" || type == "native" || type == "array";
}

std::string DisplayName(const std::string& type, const std::string& name) {
  if (type == "object" || type == "native" || type == "array") return name.empty() ? "(anonymous)" : name;
  if (type == "closure") return name.empty() ? "(closure)" : absl::StrCat("(closure) ", name);
  if (IsStringType(type)) return "(string)";
  if (type == "number") return "(heap number)";
  if (type == "code") return "(compiled code)";
  if (type == "hidden" || type == "synthetic" || type == "object shape") return "(system)";
  return absl::StrCat("(", type, ")");
}

struct RawKey {
  uint32_t type;
  int64_t name;  // -1 when the type needs no name
  bool operator<(const RawKey& o) const { return type != o.type ? type < o.type : name < o.name; }
};

struct RawFresh {
  uint64_t id;
  RawKey key;
  uint64_t size;
  uint64_t index;  // the node's position in the nodes array (its record's first number)
  int64_t script_id = -1;
  uint32_t line = 0, column = 0;
  // An object's named properties (string indices of its property edges' names), read with
  // the edges; kMaxShapeNames at most, and none when it has more (its shape is unknown).
  std::vector<uint32_t> names{};
  bool many_names = false;
  int64_t name = -1;  // its own name (a string index), whatever its type
};
constexpr size_t kMaxShapeNames = 16;

// What a node is, to tell whether the node a snapshot gives an id is the one an earlier
// snapshot gave it (NodeIdentity): its type (the kinds of string as one: V8 turns a string
// into a thin one where it is internalized, a concatenated one too) and, for the types whose
// name is their content or their constructor, that name.
bool NamedByWhatItIs(const std::string& type) {
  return type == "object" || type == "closure" || type == "regexp" || IsStringType(type);
}
// `name_hash`: the hash of its whole name, where it has one.
uint64_t NodeIdentity(const std::string& type, std::optional<uint64_t> name_hash) {
  const uint64_t h = std::hash<std::string>{}(IsStringType(type) ? std::string("string") : type) * 1000003u;
  return (h ^ (name_hash && NamedByWhatItIs(type) ? *name_hash : 0)) | 1u;
}

// The error for a file at `path` that is not a readable V8 heap snapshot; `what` says
// which part is missing or wrong.
absl::Status NotASnapshot(const std::string& path, const char* what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": not a V8 heap snapshot (", what, ")"));
}

// The position of `name` in `v`, or -1.
int IndexIn(const std::vector<std::string>& v, const char* name) {
  auto it = std::find(v.begin(), v.end(), name);
  return it == v.end() ? -1 : static_cast<int>(it - v.begin());
}

// Moves past `key` (which opens a JSON array) and appends the array's strings to `out`.
// False when the key is not in the rest of the file.
bool ReadNames(Stream* in, const char* key, std::vector<std::string>* out) {
  if (!in->SkipPast(key)) return false;
  std::string s;
  while (in->NextString(&s, true)) out->push_back(s);
  return true;
}

// Where each field sits in a node (and, for backing stores, in an edge), from the
// snapshot's meta; -1 for a field the snapshot does not have.
struct Layout {
  std::vector<std::string> fields, types, edge_fields, edge_types;
  int f_type, f_name, f_id, f_size, f_edges;
  size_t stride;  // numbers per node
  int e_type, e_name, e_to, internal, property, element, weak, shortcut, context, array_type, string_type,
      native_type, object_type, synthetic_type;
};

// Reads the meta: which field of a node is what, and the names of node types; with
// `backing`, the edges' too. InvalidArgument naming `path` when a field is missing.
absl::StatusOr<Layout> ReadLayout(const std::string& path, bool backing, Stream* in) {
  Layout l;
  if (!ReadNames(in, "\"node_fields\":[", &l.fields)) return NotASnapshot(path, "no node_fields");
  if (!ReadNames(in, "\"node_types\":[[", &l.types)) return NotASnapshot(path, "no node_types");
  l.f_type = IndexIn(l.fields, "type");
  l.f_name = IndexIn(l.fields, "name");
  l.f_id = IndexIn(l.fields, "id");
  l.f_size = IndexIn(l.fields, "self_size");
  l.f_edges = IndexIn(l.fields, "edge_count");
  l.stride = l.fields.size();
  if (l.f_type < 0 || l.f_name < 0 || l.f_id < 0 || l.f_size < 0 || l.stride == 0) {
    return NotASnapshot(path, "node fields");
  }
  if (backing) {
    if (l.f_edges < 0) return NotASnapshot(path, "node fields");
    if (!ReadNames(in, "\"edge_fields\":[", &l.edge_fields)) return NotASnapshot(path, "no edge_fields");
    if (!ReadNames(in, "\"edge_types\":[[", &l.edge_types)) return NotASnapshot(path, "no edge_types");
  }
  l.e_type = IndexIn(l.edge_fields, "type");
  l.e_name = IndexIn(l.edge_fields, "name_or_index");
  l.e_to = IndexIn(l.edge_fields, "to_node");
  l.internal = IndexIn(l.edge_types, "internal");
  l.property = IndexIn(l.edge_types, "property");
  l.element = IndexIn(l.edge_types, "element");
  l.weak = IndexIn(l.edge_types, "weak");
  l.shortcut = IndexIn(l.edge_types, "shortcut");
  l.context = IndexIn(l.edge_types, "context");
  if (backing && (l.e_type < 0 || l.e_name < 0 || l.e_to < 0 || l.internal < 0)) {
    return NotASnapshot(path, "edge fields");
  }
  l.array_type = IndexIn(l.types, "array");
  l.string_type = IndexIn(l.types, "string");
  l.native_type = IndexIn(l.types, "native");
  l.object_type = IndexIn(l.types, "object");
  l.synthetic_type = IndexIn(l.types, "synthetic");
  return l;
}

// What the nodes array leaves for the later steps, before names are resolved.
struct NodeTables {
  std::map<RawKey, ConstructorStats> raw;
  std::vector<RawFresh> raw_fresh;
  // Per node, for `backing`: its edge count and whether it could be a store.
  std::vector<uint32_t> edge_count;
  std::vector<uint32_t> store_size;  // shallow size of a large "array" node, else 0
  std::vector<uint32_t> node_name;   // its name (a string index): a store's owner is named
  // With `new_since`, the largest node not in it: of type string (key -1), and of type
  // native by name (a string index). The kinds of node a program replaces with a bigger one
  // as a value grows: a string appended to (flattened into a new one), the data of a Buffer
  // or typed array grown by copying (Buffer.concat). Not arrays: the stores of arrays and
  // tables are reallocated as they grow too, and are judged as such (a bounded Set's table,
  // larger at s3 than in the window after its last step, read as a leak when counted here).
  std::map<int64_t, BackingStore> largest_fresh;
  // With `held`: which nodes are among them, and the first node that holds each by a
  // property or an element, else by another strong edge (by index: SnapshotSummary::held_by).
  std::vector<bool> held;
  std::map<uint32_t, uint32_t> held_by, held_otherwise;
  // With `held`, for each held native node (by index): every node that holds it by a strong
  // edge (SnapshotSummary::native_holders).
  std::vector<bool> native;
  std::map<uint32_t, std::vector<uint32_t>> native_holders;
  // With `held`, for node's Buffer pool (PoolNodes): every context variable that holds an
  // object (the object, the variable's name as a string index: ~2% of the edges), and the
  // internal edges between two of the held nodes (the node, its holder): a typed array's
  // `buffer`, a closure's `context`. And which nodes are GC roots' bookkeeping (synthetic:
  // the stack, handle scopes), and which held ones something else holds too (a stale slot
  // of the stack keeps a Buffer the program let go of).
  bool pool_wanted = false;
  std::vector<std::pair<uint32_t, uint32_t>> in_context, held_internally;
  // With `held`, each of them: its node (by index), type and name (a string index), for
  // SnapshotSummary::held_identity.
  struct HeldNode {
    uint64_t node;
    uint32_t type;
    int64_t name;
  };
  std::vector<HeldNode> held_nodes;
  std::vector<bool> synthetic, held_elsewhere;
};

// Reads the nodes array (the stream stands just inside it) to its end: the totals and ids
// go to `summary`, the rest to `tables`; a node is fresh when `new_since` is given and
// lacks its id.
void ReadNodes(const Layout& l, bool backing, const std::vector<uint64_t>* new_since, bool fresh,
               const std::vector<uint64_t>* held, Stream* in, SnapshotSummary* summary, NodeTables* tables) {
  std::vector<uint64_t> node(l.stride);
  tables->pool_wanted = held != nullptr;
  for (uint64_t index = 0;; index += l.stride) {
    for (size_t i = 0; i < l.stride; ++i) {
      if (!in->NextNumber(&node[i])) return;
    }
    uint32_t type = static_cast<uint32_t>(node[l.f_type]);
    const std::string& type_name = type < l.types.size() ? l.types[type] : l.fields[0];
    RawKey key{type, NeedsName(type_name) ? static_cast<int64_t>(node[l.f_name]) : -1};
    ConstructorStats& stats = tables->raw[key];
    ++stats.count;
    stats.bytes += node[l.f_size];
    ++summary->nodes;
    summary->bytes += node[l.f_size];
    summary->ids.push_back(node[l.f_id]);
    if (backing) {
      tables->edge_count.push_back(static_cast<uint32_t>(node[l.f_edges]));
      tables->node_name.push_back(static_cast<uint32_t>(node[l.f_name]));
      const bool store = static_cast<int>(type) == l.array_type && node[l.f_size] >= kMinBackingBytes;
      tables->store_size.push_back(store ? static_cast<uint32_t>(std::min<uint64_t>(node[l.f_size], UINT32_MAX))
                                         : 0);
      // A fresh native node's holders too: V8 keys a native node's id by an address outside
      // its heap (FreshNativeKeptItsHolder).
      const bool fresh_native = fresh && static_cast<int>(type) == l.native_type && new_since != nullptr &&
                                !std::binary_search(new_since->begin(), new_since->end(), node[l.f_id]);
      const bool listed = held != nullptr && std::binary_search(held->begin(), held->end(), node[l.f_id]);
      const bool is_held = fresh_native || listed;
      if (listed) tables->held_nodes.push_back({index / l.stride, type, static_cast<int64_t>(node[l.f_name])});
      tables->held.push_back(is_held);
      tables->native.push_back(static_cast<int>(type) == l.native_type);
      tables->synthetic.push_back(static_cast<int>(type) == l.synthetic_type);
    }
    if (new_since != nullptr && !std::binary_search(new_since->begin(), new_since->end(), node[l.f_id])) {
      if (fresh) {
        tables->raw_fresh.push_back({node[l.f_id], key, node[l.f_size], index});
        tables->raw_fresh.back().name = static_cast<int64_t>(node[l.f_name]);
      }
      if (static_cast<int>(type) == l.string_type || static_cast<int>(type) == l.native_type) {
        // Natives by name: only an ArrayBuffer's data is a program's value (node's own
        // natives, such as a 16 KB buffer of its inspector, come and go).
        const int64_t by = static_cast<int>(type) == l.native_type ? static_cast<int64_t>(node[l.f_name]) : -1;
        BackingStore& largest = tables->largest_fresh[by];
        if (node[l.f_size] > largest.bytes) largest = BackingStore{node[l.f_id], node[l.f_size]};
      }
    }
  }
}

// An internal edge to a large array, its name not yet resolved: owner, name, store, and
// the owner's name.
struct Candidate {
  uint32_t owner, name, store, owner_name;
};

// Reads the edges array (the stream stands just inside it) and keeps the internal edges
// to possible stores, and the names of the fresh objects' properties (their shapes).
// InvalidArgument naming `path` when the edge counts do not add up.
absl::Status ReadCandidates(const std::string& path, const Layout& l, NodeTables* tables, Stream* in,
                            std::vector<Candidate>* candidates) {
  const std::vector<uint32_t>& edge_count = tables->edge_count;
  std::vector<RawFresh>& fresh = tables->raw_fresh;  // in node order
  tables->held_elsewhere.assign(tables->held.size(), false);
  const size_t edge_stride = l.edge_fields.size();
  std::vector<uint64_t> edge(edge_stride);
  size_t owner = 0;
  size_t next_fresh = 0;  // the first fresh node at or after the owner
  uint32_t left = edge_count.empty() ? 0 : edge_count[0];
  while (true) {
    size_t i = 0;
    for (; i < edge_stride && in->NextNumber(&edge[i]); ++i) {
    }
    if (i < edge_stride) return absl::OkStatus();
    while (left == 0 && owner + 1 < edge_count.size()) left = edge_count[++owner];
    if (left == 0) return NotASnapshot(path, "edge count");
    --left;
    const int type = static_cast<int>(edge[l.e_type]);
    if (type != l.weak && type != l.shortcut) {
      const uint64_t to = edge[l.e_to] / l.stride;
      if (type == l.context && tables->pool_wanted) {
        tables->in_context.emplace_back(static_cast<uint32_t>(to), static_cast<uint32_t>(edge[l.e_name]));
      }
      if (to < tables->held.size() && tables->held[to] && to != owner) {
        if (!tables->synthetic[owner]) tables->held_elsewhere[to] = true;
        (type == l.property || type == l.element ? tables->held_by : tables->held_otherwise)
            .emplace(static_cast<uint32_t>(to), static_cast<uint32_t>(owner));
        if (tables->native[to]) {
          tables->native_holders[static_cast<uint32_t>(to)].push_back(static_cast<uint32_t>(owner));
        }
        if (type == l.internal && tables->held[owner]) {
          tables->held_internally.emplace_back(static_cast<uint32_t>(to), static_cast<uint32_t>(owner));
        }
      }
    }
    if (type == l.property) {
      while (next_fresh < fresh.size() && fresh[next_fresh].index < owner * l.stride) ++next_fresh;
      if (next_fresh < fresh.size() && fresh[next_fresh].index == owner * l.stride &&
          static_cast<int>(fresh[next_fresh].key.type) == l.object_type) {
        RawFresh& f = fresh[next_fresh];
        if (f.names.size() < kMaxShapeNames) {
          f.names.push_back(static_cast<uint32_t>(edge[l.e_name]));
        } else {
          f.many_names = true;
        }
      }
      continue;
    }
    if (type != l.internal) continue;
    const uint64_t to = edge[l.e_to] / l.stride;
    if (to < tables->store_size.size() && tables->store_size[to] > 0) {
      candidates->push_back({static_cast<uint32_t>(owner), static_cast<uint32_t>(edge[l.e_name]),
                             static_cast<uint32_t>(to), tables->node_name[owner]});
    }
  }
}

// Moves past the next key of the top-level object (the stream stands between sections)
// and its colon into `key`. False at the end of the file.
bool NextKey(Stream* in, std::string* key) {
  if (!in->SkipPast("\"")) return false;
  key->clear();
  for (int c = in->Next(); c != '"'; c = in->Next()) {
    if (c < 0) return false;
    key->push_back(static_cast<char>(c));
  }
  return in->SkipPast(":");
}

// Reads the locations array (the stream stands before its bracket): each entry is
// [object_index, script_id, line, column], V8's location_fields since 2018. Positions go to
// the fresh nodes (in node order) they name.
bool ReadLocations(Stream* in, std::vector<RawFresh>* fresh) {
  if (!in->SkipPast("[")) return false;
  uint64_t entry[4];
  while (true) {
    for (int i = 0; i < 4; ++i) {
      if (!in->NextNumber(&entry[i])) return i == 0;
    }
    auto it = std::lower_bound(fresh->begin(), fresh->end(), entry[0],
                               [](const RawFresh& f, uint64_t index) { return f.index < index; });
    if (it == fresh->end() || it->index != entry[0]) continue;
    it->script_id = static_cast<int64_t>(entry[1]);
    it->line = static_cast<uint32_t>(entry[2]);
    it->column = static_cast<uint32_t>(entry[3]);
  }
}

// A fresh object's shape: its named properties, sorted and joined with commas, but
// __proto__ (V8 names every object's prototype so); "" when it has none or too many.
std::string Shape(const RawFresh& f, const std::map<int64_t, std::string>& names) {
  if (f.many_names) return "";
  std::vector<std::string> shape;
  for (uint32_t name : f.names) {
    auto it = names.find(name);
    if (it == names.end() || it->second == "__proto__") continue;
    shape.push_back(it->second);
  }
  std::sort(shape.begin(), shape.end());
  shape.erase(std::unique(shape.begin(), shape.end()), shape.end());
  return absl::StrJoin(shape, ",");
}

// Node's Buffer pool, as node ids (`ids` in node order): small Buffers (Buffer.from of a
// short string, allocUnsafe under 4 KiB) are cut from an 8 KiB slab, an ArrayBuffer
// node:buffer holds in its context variable `allocPool` (and views whole as `allocBuffer`)
// until it is used up and replaced. The slab current at a snapshot is node's, as V8's code
// is V8's, unless one of the held nodes (a slice the program keeps, not one only a GC
// root's slot holds) holds it too: then it is the data the program keeps. The slab is in
// the list whether it is held or not: its data was new where it was not (pino's default
// destination at 2,000: the slab's object kept an id of before the window, likely a freed
// object's at the same address, as V8 keys its ids by address between two snapshots).
std::vector<uint64_t> PoolNodes(const NodeTables& tables, const std::map<int64_t, std::string>& names,
                                const std::vector<uint64_t>& ids) {
  std::vector<uint32_t> slabs, views;
  for (const auto& [node, name] : tables.in_context) {
    auto it = names.find(name);
    if (it == names.end()) continue;
    if (it->second == "allocPool") slabs.push_back(node);
    if (it->second == "allocBuffer") views.push_back(node);
  }
  std::vector<uint64_t> pool;
  for (uint32_t view : views) pool.push_back(ids[view]);
  for (uint32_t slab : slabs) {
    const bool kept = std::any_of(tables.held_internally.begin(), tables.held_internally.end(), [&](const auto& edge) {
      return edge.first == slab && tables.held_elsewhere[edge.second] &&
             std::find(views.begin(), views.end(), edge.second) == views.end();
    });
    if (!kept) pool.push_back(ids[slab]);
  }
  std::sort(pool.begin(), pool.end());
  pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
  return pool;
}

// The string indices a snapshot's read needs as names: the constructors', the candidate
// stores' edges and owners', the largest fresh natives', the fresh objects' properties and
// the context variables'. Sorted, unique.
std::vector<int64_t> WantedNames(const NodeTables& tables, const std::vector<Candidate>& candidates) {
  std::vector<int64_t> wanted;
  for (const auto& [key, stats] : tables.raw) {
    if (key.name >= 0) wanted.push_back(key.name);
  }
  for (const Candidate& c : candidates) {
    wanted.push_back(c.name);
    wanted.push_back(c.owner_name);
  }
  for (const auto& [name, largest] : tables.largest_fresh) {
    if (name >= 0) wanted.push_back(name);
  }
  for (const RawFresh& f : tables.raw_fresh) {
    for (uint32_t name : f.names) wanted.push_back(name);
  }
  for (const auto& [node, name] : tables.in_context) wanted.push_back(name);
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return wanted;
}

// The string indices that make a fresh or held node what it is (NodeIdentity), read whole
// and hashed. Sorted, unique.
std::vector<int64_t> IdentityNames(const NodeTables& tables, const std::vector<std::string>& types) {
  std::vector<int64_t> names;
  auto named = [&](uint32_t type, int64_t name) {
    return name >= 0 && type < types.size() && NamedByWhatItIs(types[type]);
  };
  for (const RawFresh& f : tables.raw_fresh) {
    if (named(f.key.type, f.name)) names.push_back(f.name);
  }
  for (const NodeTables::HeldNode& h : tables.held_nodes) {
    if (named(h.type, h.name)) names.push_back(h.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace

absl::StatusOr<SnapshotSummary> ReadHeapSnapshot(const std::string& path,
                                                 const std::vector<uint64_t>* new_since,
                                                 std::vector<FreshNode>* fresh, bool backing,
                                                 const std::vector<uint64_t>* held) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read the heap snapshot ", path, ": ", std::strerror(errno)));
  }
  Stream in(file.get());
  absl::StatusOr<Layout> layout = ReadLayout(path, backing, &in);
  if (!layout.ok()) return layout.status();
  const std::vector<std::string>& types = layout->types;

  if (!in.SkipPast("\"nodes\":[")) return NotASnapshot(path, "no nodes");
  SnapshotSummary summary;
  NodeTables tables;
  ReadNodes(*layout, backing, new_since, fresh != nullptr, held, &in, &summary, &tables);
  const std::map<RawKey, ConstructorStats>& raw = tables.raw;
  if (!in.SkipPast("\"edges\":[")) return NotASnapshot(path, "no edges");
  std::vector<Candidate> candidates;
  if (!backing) {
    if (!in.SkipNumberArray()) return NotASnapshot(path, "edges cut short");
  } else if (absl::Status read = ReadCandidates(path, *layout, &tables, &in, &candidates); !read.ok()) {
    return read;
  }

  // Strings: only the names in use, and those that make a node what it is, hashed.
  const std::vector<int64_t> wanted = WantedNames(tables, candidates);
  const std::vector<int64_t> identity_names = IdentityNames(tables, types);
  std::map<int64_t, std::string> names;
  std::map<int64_t, uint64_t> name_hashes;  // a name's index → its hash, whole
  // The sections between the edges and the strings (traces, samples, locations) are
  // skipped, but for the fresh nodes' locations.
  for (std::string key; key != "strings";) {
    if (!NextKey(&in, &key)) return NotASnapshot(path, "no strings");
    if (key == "locations" && fresh != nullptr && !ReadLocations(&in, &tables.raw_fresh)) {
      return NotASnapshot(path, "locations cut short");
    }
  }
  if (!in.SkipPast("[")) return NotASnapshot(path, "no strings");
  std::string s;
  for (int64_t index = 0;; ++index) {
    const bool keep = std::binary_search(wanted.begin(), wanted.end(), index);
    const bool hashed = std::binary_search(identity_names.begin(), identity_names.end(), index);
    if (!in.NextString(&s, keep || hashed)) break;
    if (keep) names[index] = s.size() > 80 ? s.substr(0, 77) + "..." : s;
    if (hashed) name_hashes[index] = std::hash<std::string>{}(s);
  }
  auto identity = [&](uint32_t type, int64_t name) {
    auto it = name_hashes.find(name);
    return NodeIdentity(type < types.size() ? types[type] : "unknown",
                        it == name_hashes.end() ? std::nullopt : std::optional<uint64_t>(it->second));
  };
  auto resolve = [&](const RawKey& key) {
    const std::string type = key.type < types.size() ? types[key.type] : "unknown";
    std::string name = key.name >= 0 && names.count(key.name) ? names[key.name] : "";
    return ConstructorKey(type, DisplayName(type, name));
  };
  for (const auto& [key, stats] : raw) {
    ConstructorStats& merged = summary.by_constructor[resolve(key)];
    merged.count += stats.count;
    merged.bytes += stats.bytes;
  }
  for (const Candidate& c : candidates) {
    auto it = names.find(c.name);
    if (it == names.end()) continue;
    const bool elements = it->second == "elements";
    if (!elements && it->second != "table" && it->second != "properties") continue;
    BackingStore& b = (elements ? summary.backing : summary.tables)[summary.ids[c.owner]];
    b.id = std::max(b.id, summary.ids[c.store]);
    b.bytes += tables.store_size[c.store];
    if (elements) b.filled += tables.edge_count[c.store];
    auto owner = names.find(c.owner_name);
    b.weak = !elements && owner != names.end() && (owner->second == "WeakMap" || owner->second == "WeakSet");
    if (owner != names.end()) b.owner = owner->second;
  }
  for (const auto& [name, largest] : tables.largest_fresh) {
    auto it = names.find(name);
    if (name < 0) {
      summary.largest_fresh["string"] = largest;
    } else if (it != names.end() && it->second == "system / JSArrayBufferData") {
      summary.largest_fresh["native"] = largest;
    }
  }
  if (fresh != nullptr) {
    fresh->clear();
    for (const RawFresh& f : tables.raw_fresh) {
      fresh->push_back(
          {f.id, resolve(f.key), f.size, f.script_id, f.line, f.column, Shape(f, names), identity(f.key.type, f.name)});
    }
  }
  for (const auto& [node, holder] : tables.held_otherwise) tables.held_by.emplace(node, holder);
  for (const auto& [node, holder] : tables.held_by) summary.held_by[summary.ids[node]] = summary.ids[holder];
  for (const auto& [node, holders] : tables.native_holders) {
    std::vector<uint64_t>& ids = summary.native_holders[summary.ids[node]];
    for (uint32_t holder : holders) ids.push_back(summary.ids[holder]);
    std::sort(ids.begin(), ids.end());
  }
  for (const NodeTables::HeldNode& h : tables.held_nodes) {
    summary.held_identity[summary.ids[h.node]] = identity(h.type, h.name);
  }
  summary.pool = PoolNodes(tables, names, summary.ids);
  std::sort(summary.ids.begin(), summary.ids.end());
  return summary;
}

absl::StatusOr<bool> TableDoubled(const std::string& path, const std::map<uint64_t, uint64_t>& grown_tables) {
  absl::StatusOr<SnapshotSummary> later = ReadHeapSnapshot(path, nullptr, nullptr, true);
  if (!later.ok()) return later.status();
  for (const auto& [owner, bytes] : grown_tables) {
    for (const std::map<uint64_t, BackingStore>* stores : {&later->tables, &later->backing}) {
      auto t = stores->find(owner);
      if (t != stores->end() && static_cast<double>(t->second.bytes) >= 1.5 * static_cast<double>(bytes)) return true;
    }
  }
  return false;
}

std::string RetainerPathText(const std::vector<std::string>& steps, size_t last) {
  std::vector<std::pair<std::string, int>> runs;  // a hop and how many times in a row
  for (const std::string& step : steps) {
    if (!runs.empty() && runs.back().first == step) {
      ++runs.back().second;
    } else {
      runs.emplace_back(step, 1);
    }
  }
  const size_t skip = runs.size() > last ? runs.size() - last : 0;
  std::string text = skip > 0 ? "… → " : "";
  for (size_t i = skip; i < runs.size(); ++i) {
    absl::StrAppend(&text, i > skip ? " → " : "", runs[i].first,
                    runs[i].second > 1 ? absl::StrCat(" x", runs[i].second) : std::string());
  }
  return text;
}

bool IsV8Internal(const std::string& node_type) {
  return node_type == "code" || node_type == "hidden" || node_type == "object shape" ||
         node_type == "synthetic";
}

namespace {

// The array `owner`, as a SnapshotDiff::FixedStore, when its elements store is the same
// object at the first snapshot and the third, and has more slots than V8 gives an array
// that grows to what it held at the first (1.5 times its length and 16): it was made at
// that size (`new Array(max)`), not grown by a leak's pushes, whose array is reallocated as
// soon as it is full.
std::optional<SnapshotDiff::FixedStore> FixedArray(uint64_t owner, const SnapshotSummary& at1,
                                                   const SnapshotSummary& at3) {
  auto b1 = at1.backing.find(owner);
  auto b3 = at3.backing.find(owner);
  if (b1 == at1.backing.end() || b3 == at3.backing.end() || b1->second.id != b3->second.id) return std::nullopt;
  const uint64_t slots = b3->second.Slots();
  // Not a plain array of slots (a dictionary of elements has more entries than that).
  if (slots == 0 || b3->second.filled > slots) return std::nullopt;
  if (2 * slots <= 3 * b1->second.filled + 32) return std::nullopt;
  return SnapshotDiff::FixedStore{owner, slots, b1->second.filled, b3->second.filled};
}

// How far up a V8-internal survivor's holders a program survivor is looked for (DiffSnapshots):
// a CallSiteInfo is one hop from its stack's array, two from its Error.
constexpr int kMaxOwnerHops = 8;

// The first object up `id`'s chain of holders (SnapshotSummary::held_by) that is not among
// `survivors` (sorted ids): what holds it and those of the window that hold it, as an LRU's
// slots hold a record and the record its strings. 0 when the chain ends among them (held
// only weakly, or a cycle).
uint64_t TopHolder(uint64_t id, const std::map<uint64_t, uint64_t>& held_by, const std::vector<uint64_t>& survivors) {
  constexpr int kMaxHops = 64;
  for (int hop = 0; hop < kMaxHops; ++hop) {
    auto up = held_by.find(id);
    if (up == held_by.end()) return 0;
    if (!std::binary_search(survivors.begin(), survivors.end(), up->second)) return up->second;
    id = up->second;
  }
  return 0;
}

// Whether a native node new at the second snapshot and with the same id at the third is
// held there by an object that held it at the second (true where either has no holder).
// V8 keys a heap object's id by its address, and follows it when the collector moves it; a
// native node (an ArrayBuffer's data, node's records of its C++ objects) it keys by an
// address outside its heap: that of the data, or, for a part that node reports by its size
// alone (a zlib stream's `zlib_memory`), that of the record node makes of it for each
// snapshot. Once that memory is freed, the next node at its address takes its id. Between
// two snapshots of api_corpus/05_deflate_session_unclosed.mjs, one session's 80,896 bytes
// of zlib memory took the id another session's had in the window: 200 B/iteration of
// "survivors" against a growth of 40, and the leak read as a structure whose entries
// outlive the check (`inconclusive` in 6 of 92 runs of leak_corpus_test with CORPUS_ONLY,
// most beside a busy CPU). A native node does not change owners: held by none of the
// objects that held it, it is another node. All of its holders are compared, not the
// first: the order of a snapshot's nodes changes as the collector moves them.
bool FreshNativeKeptItsHolder(uint64_t id, const SnapshotSummary& s2, const SnapshotSummary& s3) {
  auto at2 = s2.native_holders.find(id);
  auto at3 = s3.native_holders.find(id);
  if (at2 == s2.native_holders.end() || at3 == s3.native_holders.end()) return true;
  const std::vector<uint64_t>& before = at2->second;
  return std::any_of(at3->second.begin(), at3->second.end(),
                     [&](uint64_t holder) { return std::binary_search(before.begin(), before.end(), holder); });
}

// Whether the store of `owner`, `at1` bytes at the first snapshot and `at3` at the third,
// went on growing since the check's own reading (StoresAtReading); true where
// it did not grow at that reading or there was none.
bool KeptGrowing(const StoresAtReading& last, const std::map<uint64_t, uint64_t>& then, uint64_t owner,
                 uint64_t at1, uint64_t at3) {
  auto at = then.find(owner);
  if (at == then.end() || last.before == 0 || last.since == 0) return true;
  const double pace_before = static_cast<double>(at->second - std::min(at1, at->second)) / last.before;
  // Too short a watch for a leak's store to have stepped since: kept.
  if (pace_before * static_cast<double>(last.since) < kStoreGrowthToJudge * static_cast<double>(at->second)) {
    return true;
  }
  if (at3 <= at->second) return false;
  const double pace_since = static_cast<double>(at3 - at->second) / last.since;
  return kStorePaceSlack * pace_since >= pace_before;
}

}  // namespace

absl::StatusOr<SnapshotDiff> DiffSnapshots(const std::string& first, const std::string& second,
                                           const std::string& third, size_t limit, ReplacedGrowth replaced,
                                           const StoresAtReading& last) {
  absl::StatusOr<SnapshotSummary> s1 = ReadHeapSnapshot(first, nullptr, nullptr, true);
  if (!s1.ok()) return s1.status();
  std::vector<FreshNode> fresh;
  absl::StatusOr<SnapshotSummary> s2 = ReadHeapSnapshot(second, &s1->ids, &fresh, true);
  if (!s2.ok()) return s2.status();
  std::vector<uint64_t> window_ids;
  window_ids.reserve(fresh.size());
  for (const FreshNode& f : fresh) window_ids.push_back(f.id);
  std::sort(window_ids.begin(), window_ids.end());
  absl::StatusOr<SnapshotSummary> s3 = ReadHeapSnapshot(third, &s2->ids, nullptr, true, &window_ids);
  if (!s3.ok()) return s3.status();
  SnapshotDiff diff;
  // A leak's store grows with the run (s3 is at least 8 s2); a bounded one steps up once
  // or twice as its capacity is reached or its deleted entries pile up (V8 grows arrays
  // by 1.5x + 16 and hash tables by 2x), so growth up to kMinBackingGrowth x is not counted.
  // A weak collection's table is not: its keys are alive elsewhere, or it is not a leak.
  uint64_t largest = 0;
  std::map<std::string, uint64_t> table_growth;  // by owner's name
  // Arrays' elements into backing_growth_bytes; tables into table_growth_bytes, with the
  // part after s2, their sizes at s3 and their owners' names.
  auto grown = [&](const std::map<uint64_t, BackingStore>& at1, const std::map<uint64_t, BackingStore>& at2,
                   const std::map<uint64_t, BackingStore>& at3, bool tables) {
    for (const auto& [owner, b3] : at3) {
      auto b1 = at1.find(owner);
      auto b2 = at2.find(owner);
      if (b3.weak || b1 == at1.end() || b2 == at2.end()) continue;
      // Grew at every snapshot.
      if (b1->second.bytes > b2->second.bytes || b2->second.bytes > b3.bytes) continue;
      if (static_cast<double>(b3.bytes) < kMinBackingGrowth * static_cast<double>(b1->second.bytes)) continue;
      if (!KeptGrowing(last, tables ? last.tables : last.arrays, owner, b1->second.bytes, b3.bytes)) continue;
      const uint64_t growth = b3.bytes - b1->second.bytes;
      if (tables) {
        diff.table_growth_bytes += growth;
        diff.table_growth_after_bytes += b3.bytes - b2->second.bytes;
        diff.grown_tables[owner] = b3.bytes;
        table_growth[b3.owner.empty() ? "(table)" : b3.owner] += growth;
      } else {
        diff.backing_growth_bytes += growth;
        diff.array_growth_bytes += growth;
        diff.grown_arrays[owner] = b3.bytes;
      }
      if (growth > largest) {
        largest = growth;
        diff.store_owner_id = owner;
      }
    }
  };
  grown(s1->backing, s2->backing, s3->backing, /*tables=*/false);
  grown(s1->tables, s2->tables, s3->tables, /*tables=*/true);
  // One value a program keeps replacing with a bigger one (a log string appended to, a Buffer
  // grown with Buffer.concat): no object of the window is alive at s3, but the largest node
  // of its kind allocated after s2 is many times the largest allocated in the window. A
  // program that churns big values of one size (buffer_churn_big.js) has both alike. How
  // many times as large it must be is `replaced`: what a value growing at each iteration
  // shows over the iterations between the snapshots. One that grew more is not such a value:
  // a write batch in flight at s3, its size set by the event loop's timing
  // (io_corpus/file_logger_queue.js, a leak "confirmed" at 10,000 by one such Buffer).
  for (const auto& [kind, at3] : s3->largest_fresh) {
    auto at2 = s2->largest_fresh.find(kind);
    if (at2 == s2->largest_fresh.end() || at2->second.bytes < kMinBackingBytes) continue;
    const double ratio = static_cast<double>(at3.bytes) / static_cast<double>(at2->second.bytes);
    if (ratio < replaced.least || ratio > replaced.most) continue;
    diff.backing_growth_bytes += at3.bytes - at2->second.bytes;
    if (at3.bytes - at2->second.bytes > largest) {
      largest = at3.bytes - at2->second.bytes;
      diff.store_owner_id = at3.id;
      diff.reallocated = true;
    }
  }
  for (const auto& [name, bytes] : table_growth) {
    v1::LeakCulprit c;
    c.set_node_type("object");
    c.set_constructor(name);
    c.set_bytes(bytes);
    diff.table_culprits.push_back(std::move(c));
  }
  std::sort(diff.table_culprits.begin(), diff.table_culprits.end(),
            [](const v1::LeakCulprit& a, const v1::LeakCulprit& b) { return a.bytes() > b.bytes(); });
  // The stores that objects older than the window were given in it, when they outgrew the
  // one they had: an array's elements, a Map's, Set's or WeakMap's hash table, an object's
  // dictionary of properties. Such a store alive at the third snapshot holds the owner's
  // entries, old and new, not the window's retention (an array's growth is judged above,
  // from the first snapshot to the third). Counted among the window's objects, a bounded
  // array that happened to step up once in the window (set_window.js's 10 KiB of
  // candidates, 40 B/iteration over a window of 255) read as a leak confirmed by retention,
  // and so did the 32 KiB ephemeron table a WeakMap outgrew into while the keys of the
  // iterations between two collections were alive (weakmap.js; V8 does not shrink it when
  // the collector clears them).
  std::vector<uint64_t> regrown;
  for (const std::map<uint64_t, BackingStore>* stores : {&s2->backing, &s2->tables}) {
    for (const auto& [owner, b2] : *stores) {
      if (std::binary_search(s1->ids.begin(), s1->ids.end(), owner) &&
          !std::binary_search(s1->ids.begin(), s1->ids.end(), b2.id)) {
        regrown.push_back(b2.id);
      }
    }
  }
  std::sort(regrown.begin(), regrown.end());
  // The window's survivors: new at s2, alive at s3, not a store an older object was given.
  std::vector<const FreshNode*> alive;
  for (const FreshNode& f : fresh) {
    if (!std::binary_search(s3->ids.begin(), s3->ids.end(), f.id)) continue;
    if (std::binary_search(regrown.begin(), regrown.end(), f.id)) continue;
    if (f.key.first == "native" && !FreshNativeKeptItsHolder(f.id, *s2, *s3)) continue;
    // Another object at a window's object's id (SnapshotSummary::held_identity).
    if (auto at = s3->held_identity.find(f.id); f.identity != 0 && at != s3->held_identity.end() &&
                                                 at->second != f.identity) {
      continue;
    }
    alive.push_back(&f);
  }
  std::vector<uint64_t> alive_ids;
  for (const FreshNode* f : alive) alive_ids.push_back(f->id);
  std::sort(alive_ids.begin(), alive_ids.end());
  // What holds them: the bytes under each top holder, and which of those are fixed arrays.
  std::vector<uint64_t> top(alive.size());
  std::map<uint64_t, uint64_t> top_bytes;
  for (size_t i = 0; i < alive.size(); ++i) {
    top[i] = TopHolder(alive[i]->id, s3->held_by, alive_ids);
    if (top[i] != 0) top_bytes[top[i]] += alive[i]->size;
  }
  std::map<uint64_t, std::optional<SnapshotDiff::FixedStore>> fixed;
  uint64_t largest_held = 0;
  for (const auto& [holder, bytes] : top_bytes) {
    const std::optional<SnapshotDiff::FixedStore>& store = fixed[holder] = FixedArray(holder, *s1, *s3);
    if (bytes > largest_held) {
      largest_held = bytes;
      diff.fixed_store = store;
    }
  }

  // Node's Buffer pool among them (SnapshotSummary::pool) and the slab's data: the runtime's
  // own, counted apart under their constructor marked kNodePool.
  std::vector<uint64_t> pooled = s3->pool;
  for (const FreshNode* f : alive) {
    auto up = s3->held_by.find(f->id);
    if (f->key.first == "native" && up != s3->held_by.end() &&
        std::binary_search(s3->pool.begin(), s3->pool.end(), up->second)) {
      pooled.push_back(f->id);
    }
  }
  std::sort(pooled.begin(), pooled.end());
  // V8's records among them (hidden: (system)) that a program survivor holds, up its chain
  // of holders through survivors: the program's, counted under their constructor marked
  // kHeldByProgram. A kept Error holds its stack as an array of CallSiteInfo records, ~450 B
  // for 8 frames beside its own 48: counted as V8's growth, a module that keeps every 16th
  // Error (22 B/iteration, wild_corpus/07_error_log_unbounded.js) read as "V8 internal
  // growth" and then `inconclusive`, its objects short of the slope. What V8 compiles in the
  // window is held by older functions, not by the window's objects. Compiled code and maps
  // stay V8's even where a survivor holds them: V8 shares them, flushes code and makes it
  // again, and which holder a snapshot names first varies. Counted as the program's, the
  // native code of the cached RegExps of wild_corpus/09_regexp_cache_per_pattern.js (a
  // leak) counted in some snapshots and not in others: 102 B/iteration alive against 24 of
  // growth, "a structure whose entries outlive the check", `no_leak` in 1 run of 3 at 10,000.
  std::vector<uint64_t> program_held;
  {
    std::map<uint64_t, const FreshNode*> by_id;
    for (const FreshNode* f : alive) by_id.emplace(f->id, f);
    for (const FreshNode* f : alive) {
      if (f->key.first != "hidden") continue;
      uint64_t id = f->id;
      for (int hop = 0; hop < kMaxOwnerHops; ++hop) {
        auto up = s3->held_by.find(id);
        if (up == s3->held_by.end()) break;
        auto holder = by_id.find(up->second);
        if (holder == by_id.end()) break;
        if (!IsV8Internal(holder->second->key.first)) {
          program_held.push_back(f->id);
          break;
        }
        id = up->second;
      }
    }
    std::sort(program_held.begin(), program_held.end());
  }
  auto key_of = [&](const FreshNode& f) {
    if (std::binary_search(pooled.begin(), pooled.end(), f.id)) {
      return ConstructorKey(f.key.first, absl::StrCat(f.key.second, kNodePool));
    }
    if (std::binary_search(program_held.begin(), program_held.end(), f.id)) {
      return ConstructorKey(f.key.first, absl::StrCat(f.key.second, kHeldByProgram));
    }
    return f.key;
  };

  // By constructor (largest shallow bytes first, at most `limit`) and by source position
  // and shape, the survivors for which `counted(i)` holds; the representative from the
  // largest program constructor's largest group.
  struct Group {
    uint64_t bytes = 0;
    uint64_t example = 0;  // one surviving id
  };
  auto collect = [&](const std::function<bool(size_t)>& counted, std::vector<v1::LeakCulprit>* out,
                     uint64_t* program_bytes, uint64_t* v8_internal_bytes, uint64_t* native_bytes,
                     uint64_t* representative, std::vector<SnapshotDiff::Placed>* placed_out) {
    std::map<ConstructorKey, ConstructorStats> survivors;
    std::map<std::tuple<ConstructorKey, int64_t, uint32_t, uint32_t, std::string, uint64_t>, Group> placed;
    for (size_t i = 0; i < alive.size(); ++i) {
      if (!counted(i)) continue;
      const FreshNode& f = *alive[i];
      const ConstructorKey key = key_of(f);
      ConstructorStats& stats = survivors[key];
      ++stats.count;
      stats.bytes += f.size;
      const bool unnamed = f.shape.empty() && key == ConstructorKey("object", "Object");
      Group& group = placed[{key, f.script_id, f.line, f.column, f.shape, unnamed ? f.size : 0}];
      group.bytes += f.size;
      if (group.example == 0) group.example = f.id;
    }
    std::map<ConstructorKey, std::pair<uint64_t, uint64_t>> example;  // bytes and id of its largest group
    for (const auto& [where, group] : placed) {
      placed_out->push_back({std::get<0>(where), std::get<1>(where), std::get<2>(where), std::get<3>(where),
                             group.bytes, std::get<4>(where), std::get<5>(where)});
      std::pair<uint64_t, uint64_t>& largest = example[std::get<0>(where)];
      if (group.bytes > largest.first) largest = {group.bytes, group.example};
    }
    for (const auto& [key, stats] : survivors) {
      v1::LeakCulprit c;
      c.set_node_type(key.first);
      c.set_constructor(key.second);
      c.set_v8_internal((IsV8Internal(key.first) && !absl::EndsWith(key.second, kHeldByProgram)) ||
                        absl::EndsWith(key.second, kNodePool));
      (c.v8_internal() ? *v8_internal_bytes : *program_bytes) += stats.bytes;
      if (!c.v8_internal() && key.first == "native") *native_bytes += stats.bytes;
      c.set_count(stats.count);
      c.set_bytes(stats.bytes);
      uint64_t before = s1->by_constructor.count(key) ? s1->by_constructor.at(key).count : 0;
      uint64_t after = s3->by_constructor.count(key) ? s3->by_constructor.at(key).count : 0;
      c.set_count_growth(after > before ? after - before : 0);
      out->push_back(std::move(c));
    }
    std::sort(out->begin(), out->end(), [](const v1::LeakCulprit& a, const v1::LeakCulprit& b) {
      return a.bytes() != b.bytes() ? a.bytes() > b.bytes() : a.constructor() < b.constructor();
    });
    // Of the program's objects, one of a program's kind first (the Error, not its stack's
    // records), else one V8's own kind the program holds.
    for (bool own_kind : {true, false}) {
      for (const v1::LeakCulprit& c : *out) {
        if (c.v8_internal() || (own_kind && IsV8Internal(c.node_type()))) continue;
        *representative = example[ConstructorKey(c.node_type(), c.constructor())].second;
        break;
      }
      if (*representative != 0) break;
    }
    if (out->size() > limit) out->resize(limit);
  };
  collect([](size_t) { return true; }, &diff.culprits, &diff.program_bytes, &diff.v8_internal_bytes,
          &diff.program_native_bytes, &diff.representative_id, &diff.placed);
  if (diff.fixed_store) {
    uint64_t v8_internal_beside = 0, native_beside = 0;
    collect([&](size_t i) { return top[i] == 0 || !fixed[top[i]].has_value(); }, &diff.beside.culprits,
            &diff.beside.program_bytes, &v8_internal_beside, &native_beside, &diff.beside.representative_id,
            &diff.beside.placed);
  }
  return diff;
}

namespace {

// A snapshot's meta: the names of its node and edge fields and types, and where in a
// record each field used by the retainer path sits (-1: absent).
struct GraphMeta {
  std::vector<std::string> node_fields, node_types, edge_fields, edge_types;
  int f_type = -1, f_name = -1, f_id = -1, f_edges = -1;
  int e_type = -1, e_name = -1, e_to = -1;
  int weak = -1, element = -1, hidden = -1, shortcut = -1;
  int hidden_type = -1, code_type = -1;  // node types
  // An edge that names no property: its label is its index.
  bool Indexed(uint8_t edge_type) const { return edge_type == element || edge_type == hidden; }
};

// The whole graph in compact arrays: per node its type, name (a string index) and first
// edge (first_edge has one more entry, the end); per edge its type, name and target node.
struct Graph {
  std::vector<uint8_t> type;
  std::vector<uint32_t> name, first_edge;
  std::vector<uint8_t> edge_type;
  std::vector<uint32_t> edge_name, edge_to;
  int64_t target = -1;  // the node looked for, -1 when absent
};

absl::StatusOr<GraphMeta> ReadGraphMeta(Stream& in, const std::string& path) {
  GraphMeta m;
  if (!ReadNames(&in, "\"node_fields\":[", &m.node_fields)) return NotASnapshot(path, "no node_fields");
  if (!ReadNames(&in, "\"node_types\":[[", &m.node_types)) return NotASnapshot(path, "no node_types");
  if (!ReadNames(&in, "\"edge_fields\":[", &m.edge_fields)) return NotASnapshot(path, "no edge_fields");
  if (!ReadNames(&in, "\"edge_types\":[[", &m.edge_types)) return NotASnapshot(path, "no edge_types");
  m.f_type = IndexIn(m.node_fields, "type");
  m.f_name = IndexIn(m.node_fields, "name");
  m.f_id = IndexIn(m.node_fields, "id");
  m.f_edges = IndexIn(m.node_fields, "edge_count");
  m.e_type = IndexIn(m.edge_fields, "type");
  m.e_name = IndexIn(m.edge_fields, "name_or_index");
  m.e_to = IndexIn(m.edge_fields, "to_node");
  m.weak = IndexIn(m.edge_types, "weak");
  m.element = IndexIn(m.edge_types, "element");
  m.hidden = IndexIn(m.edge_types, "hidden");
  m.shortcut = IndexIn(m.edge_types, "shortcut");
  m.hidden_type = IndexIn(m.node_types, "hidden");
  m.code_type = IndexIn(m.node_types, "code");
  if (m.f_type < 0 || m.f_name < 0 || m.f_id < 0 || m.f_edges < 0 || m.e_type < 0 || m.e_name < 0 || m.e_to < 0) {
    return NotASnapshot(path, "fields");
  }
  return m;
}

// Reads the nodes and the edges (in node order) that follow the meta.
absl::StatusOr<Graph> ReadGraph(Stream& in, const GraphMeta& m, uint64_t target_id, const std::string& path) {
  const size_t node_stride = m.node_fields.size(), edge_stride = m.edge_fields.size();
  if (!in.SkipPast("\"nodes\":[")) return NotASnapshot(path, "no nodes");
  Graph g;
  std::vector<uint64_t> field(std::max(node_stride, edge_stride));
  uint64_t edges_total = 0;
  while (true) {
    size_t i = 0;
    for (; i < node_stride && in.NextNumber(&field[i]); ++i) {
    }
    if (i < node_stride) break;
    if (field[m.f_id] == target_id) g.target = static_cast<int64_t>(g.type.size());
    g.type.push_back(static_cast<uint8_t>(field[m.f_type]));
    g.name.push_back(static_cast<uint32_t>(field[m.f_name]));
    g.first_edge.push_back(static_cast<uint32_t>(edges_total));
    edges_total += field[m.f_edges];
  }
  g.first_edge.push_back(static_cast<uint32_t>(edges_total));
  if (!in.SkipPast("\"edges\":[")) return NotASnapshot(path, "no edges");
  g.edge_type.reserve(edges_total);
  g.edge_name.reserve(edges_total);
  g.edge_to.reserve(edges_total);
  while (true) {
    size_t i = 0;
    for (; i < edge_stride && in.NextNumber(&field[i]); ++i) {
    }
    if (i < edge_stride) break;
    g.edge_type.push_back(static_cast<uint8_t>(field[m.e_type]));
    g.edge_name.push_back(static_cast<uint32_t>(field[m.e_name]));
    g.edge_to.push_back(static_cast<uint32_t>(field[m.e_to] / node_stride));
  }
  if (g.edge_type.size() != edges_total) return NotASnapshot(path, "edge count");
  return g;
}

// From the root (node 0) over strong edges to the target, fewest V8-internal hops first,
// then fewest hops (a 0-1 breadth-first search): an edge that reaches a (system) or code
// node by index (an internal array's slot: a feedback vector's, optimized code's literals)
// costs 1, any other 0. So the path goes through the closures, contexts and properties a
// developer can act on (`... → context (system / Context) → seenIds (Set)`) where one
// exists, not through the compiled code that embeds the object as a constant
// (`[1] ((system)) → [11] ((system)) → 582 (Set)`, the shortest). The hops from the root,
// each (edge, node it leads to). NotFound when only weak paths reach it.
absl::StatusOr<std::vector<std::pair<uint32_t, uint32_t>>> StrongHops(const Graph& g, const GraphMeta& m) {
  constexpr uint32_t kUnseen = UINT32_MAX;
  std::vector<uint32_t> via(g.type.size(), kUnseen);  // the edge that reached each node
  std::vector<uint32_t> cost(g.type.size(), kUnseen);
  std::vector<bool> done(g.type.size(), false);
  std::deque<uint32_t> queue = {0};
  via[0] = 0;
  cost[0] = 0;
  while (!queue.empty() && !done[g.target]) {
    const uint32_t n = queue.front();
    queue.pop_front();
    if (done[n]) continue;
    done[n] = true;
    for (uint32_t e = g.first_edge[n]; e < g.first_edge[n + 1]; ++e) {
      if (g.edge_type[e] == m.weak || g.edge_type[e] == m.shortcut) continue;
      const uint32_t to = g.edge_to[e];
      if (to >= via.size() || done[to]) continue;
      const bool internal = m.Indexed(g.edge_type[e]) && (g.type[to] == m.hidden_type || g.type[to] == m.code_type);
      const uint32_t c = cost[n] + (internal ? 1 : 0);
      if (c >= cost[to]) continue;
      cost[to] = c;
      via[to] = e;
      if (internal) {
        queue.push_back(to);
      } else {
        queue.push_front(to);
      }
    }
  }
  if (via[g.target] == kUnseen) return absl::NotFoundError("no strong path from a GC root");
  // From the object back to the root: the edge's owner is found by its index.
  std::vector<std::pair<uint32_t, uint32_t>> hops;
  for (uint32_t n = static_cast<uint32_t>(g.target); n != 0;) {
    uint32_t e = via[n];
    hops.emplace_back(e, n);
    n = static_cast<uint32_t>(std::upper_bound(g.first_edge.begin(), g.first_edge.end(), e) - g.first_edge.begin() -
                              1);
  }
  std::reverse(hops.begin(), hops.end());
  return hops;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ShortestRetainerPath(const std::string& path, uint64_t target_id) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot read the heap snapshot ", path, ": ", std::strerror(errno)));
  }
  Stream in(file.get());
  absl::StatusOr<GraphMeta> meta = ReadGraphMeta(in, path);
  if (!meta.ok()) return meta.status();
  const GraphMeta& m = *meta;
  absl::StatusOr<Graph> graph = ReadGraph(in, m, target_id, path);
  if (!graph.ok()) return graph.status();
  const Graph& g = *graph;
  if (g.target < 0) return absl::NotFoundError(absl::StrCat("no node with id ", target_id, " in ", path));
  absl::StatusOr<std::vector<std::pair<uint32_t, uint32_t>>> hops = StrongHops(g, m);
  if (!hops.ok()) return hops.status();

  // The strings the path names, read in one pass (long ones shortened).
  std::vector<uint32_t> wanted;
  for (const auto& [e, n] : *hops) {
    if (!m.Indexed(g.edge_type[e])) wanted.push_back(g.edge_name[e]);
    wanted.push_back(g.name[n]);
  }
  std::sort(wanted.begin(), wanted.end());
  std::map<uint32_t, std::string> strings;
  if (!in.SkipPast("\"strings\":[")) return NotASnapshot(path, "no strings");
  std::string s;
  for (uint32_t index = 0; index <= wanted.back(); ++index) {
    bool keep = std::binary_search(wanted.begin(), wanted.end(), index);
    if (!in.NextString(&s, keep)) break;
    if (keep) strings[index] = s.size() > 60 ? s.substr(0, 57) + "..." : s;
  }
  std::vector<std::string> out;
  for (const auto& [e, n] : *hops) {
    std::string edge = m.Indexed(g.edge_type[e]) ? absl::StrCat("[", g.edge_name[e], "]") : strings[g.edge_name[e]];
    const std::string& t = g.type[n] < m.node_types.size() ? m.node_types[g.type[n]] : "unknown";
    std::string node = DisplayName(t, NeedsName(t) ? strings[g.name[n]] : "");
    out.push_back(absl::StrCat(edge, " (", node, ")"));
  }
  return out;
}

}  // namespace heapstorm
