#include "worker/engine/allocation_line.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace heapstorm {
namespace {

constexpr int kLevels = 5;
constexpr int kShapeLevel = 1;
constexpr uint64_t kStrayShare = 64;

// The keys under which a survivor answers candidates (AllocationCandidate.makes), with the
// level each key stands for: bytes per key and level; and the plain objects' bytes by
// shape (their property names, sorted).
struct Retained {
  std::map<std::string, uint64_t> bytes;
  std::map<std::vector<std::string>, uint64_t> shapes;
  // Plain objects whose shape names no property, by their own size (Placed::unnamed_size).
  std::map<uint64_t, uint64_t> unnamed;
  uint64_t native_stores = 0;  // ArrayBuffers' backing stores (not node's Buffer pool's)
};

// What always allocates a backing store outside the JS heap (a typed array may be a view of
// another's): the expression that made the native stores the window left.
bool MakesANativeStore(const std::string& makes) {
  return makes == "object ArrayBuffer" || makes == "object SharedArrayBuffer" || makes == "object Memory";
}

Retained Index(const std::vector<SnapshotDiff::Placed>& placed) {
  Retained r;
  for (const SnapshotDiff::Placed& p : placed) {
    const std::string& type = p.key.first;
    const std::string& name = p.key.second;
    if (type == "object") {
      r.bytes[absl::StrCat("object ", name)] += p.bytes;
      if (name == "Object" && !p.shape.empty()) {
        r.shapes[absl::StrSplit(p.shape, ',')] += p.bytes;
      } else if (name == "Object" && p.unnamed_size > 0) {
        r.unnamed[p.unnamed_size] += p.bytes;
      }
    } else if (type == "closure") {
      // DisplayName: "(closure) NAME", or "(closure)" for an anonymous one.
      // `new Function` makes closures V8 names "anonymous" (or leaves unnamed).
      std::string plain = absl::StartsWith(name, "(closure) ") ? name.substr(10) : "anonymous";
      r.bytes[absl::StrCat("closure ", plain)] += p.bytes;
      if (p.script_id >= 0) {
        r.bytes[absl::StrCat("closure@", p.script_id, ":", p.line, ":", p.column)] += p.bytes;
      }
    } else if (type == "string" || type == "concatenated string" || type == "sliced string") {
      r.bytes["string"] += p.bytes;
    } else if (type == "bigint") {
      r.bytes["bigint"] += p.bytes;
    } else if (type == "native" && name == "system / JSArrayBufferData") {
      r.native_stores += p.bytes;
    }
  }
  return r;
}

// The level (0-based, kLevels when none) and the survivors' key of a candidate's `makes`.
std::pair<int, std::string> LevelOf(const std::string& makes) {
  if (absl::StartsWith(makes, "closure@")) return {0, makes};
  if (absl::StartsWith(makes, "class ")) return {0, absl::StrCat("object ", makes.substr(6))};
  if (makes == "object Object" || makes == "object Array") return {3, makes};
  if (absl::StartsWith(makes, "object ") || makes == "closure anonymous") return {2, makes};
  if (makes == "string" || makes == "bigint") return {4, makes};
  return {kLevels, ""};
}

// The size V8 gives an object that a literal of `count` properties makes: a header of three
// words (map, properties, elements) and one in-object field per property, on a 64-bit node
// without pointer compression (`{ status: 404 }` 32 bytes, `{ id, at }` 40, `{ a, b, c }`
// 48; `{}` gets four spare fields, 56). With pointer compression no size matches, and the
// survivors are matched by kind alone, as before.
constexpr uint64_t kObjectHeaderBytes = 24;
constexpr uint64_t kFieldBytes = 8;
uint64_t LiteralBytes(size_t count) { return kObjectHeaderBytes + kFieldBytes * count; }

// The bytes of plain objects retained whose every recorded property is one of an object
// literal's own `keys` (AllocationCandidate.keys): objects that literal could have made.
// Their shapes go into `made`, when given. A survivor whose shape names no property (every
// field a small integer or a double) is one the literal could have made when its size is
// the literal's (LiteralBytes of its key count); its size goes into `made_unnamed`.
uint64_t ShapeBytes(const Retained& index, const std::string& keys,
                    std::set<const std::vector<std::string>*>* made = nullptr,
                    std::set<uint64_t>* made_unnamed = nullptr) {
  if (keys.empty()) return 0;
  std::vector<std::string> own = absl::StrSplit(keys, ',');
  std::sort(own.begin(), own.end());
  uint64_t bytes = 0;
  for (const auto& [shape, b] : index.shapes) {
    if (!std::includes(own.begin(), own.end(), shape.begin(), shape.end())) continue;
    bytes += b;
    if (made != nullptr) made->insert(&shape);
  }
  if (auto it = index.unnamed.find(LiteralBytes(own.size())); it != index.unnamed.end()) {
    bytes += it->second;
    if (made_unnamed != nullptr) made_unnamed->insert(it->first);
  }
  return bytes;
}

// The bytes of plain objects retained that no object literal of any site, by its keys,
// could have made: what a literal whose keys are unknown or match none may claim by kind
// (level "object Object"). The survivors a literal's keys explain are that literal's: a
// record kept through another function's literal is not the caller's `{ id, payload }`
// that died (codebound_corpus/09_lru_meta_map_leak.js, whose caller's candidates are its
// own since a leak check runs node without inlining).
uint64_t UnclaimedPlainBytes(const Retained& index, const std::vector<v1::AllocationSite>& sites) {
  std::set<const std::vector<std::string>*> made;
  std::set<uint64_t> made_unnamed;
  for (const v1::AllocationSite& site : sites) {
    for (const v1::AllocationCandidate& c : site.candidates()) {
      if (c.makes() == "object Object") ShapeBytes(index, c.keys(), &made, &made_unnamed);
    }
  }
  auto all = index.bytes.find("object Object");
  uint64_t bytes = all == index.bytes.end() ? 0 : all->second;
  for (const std::vector<std::string>* shape : made) bytes -= std::min(bytes, index.shapes.at(*shape));
  for (const uint64_t size : made_unnamed) bytes -= std::min(bytes, index.unnamed.at(size));
  return bytes;
}

}  // namespace

void PickRetainedLines(const std::vector<SnapshotDiff::Placed>& retained, std::vector<v1::AllocationSite>* sites) {
  const Retained index = Index(retained);
  const uint64_t unclaimed_plain = UnclaimedPlainBytes(index, *sites);
  for (v1::AllocationSite& site : *sites) {
    // Per level, per (function, line): bytes, and the first candidate there.
    struct Line {
      uint64_t bytes = 0;
      int first = -1;
    };
    std::map<std::pair<std::string, uint32_t>, Line> lines[kLevels];
    for (int k = 0; k < site.candidates_size(); ++k) {
      const v1::AllocationCandidate& c = site.candidates(k);
      if (const uint64_t shaped = c.makes() == "object Object" ? ShapeBytes(index, c.keys()) : 0; shaped > 0) {
        Line& line = lines[kShapeLevel][{c.function(), c.line()}];
        line.bytes += shaped;
        if (line.first < 0) line.first = k;
      }
      // Native stores the window left are proof of the expression that allocates them: the
      // object that holds one is a few dozen bytes beside its 64 KiB, and a literal that holds
      // that object outweighed it (native_corpus/07_wasm_memory_per_tenant_registry.js was put
      // on the `{ tenantId, memory }` line, not on `new WebAssembly.Memory`).
      // Only where the object it makes is among the survivors too (its scratch buffers,
      // freed, do not claim the window's stores).
      if (index.native_stores > 0 && MakesANativeStore(c.makes()) && index.bytes.count(c.makes()) > 0) {
        Line& line = lines[0][{c.function(), c.line()}];
        line.bytes += index.native_stores;
        if (line.first < 0) line.first = k;
      }
      auto [level, key] = LevelOf(c.makes());
      if (level >= kLevels) continue;
      auto it = index.bytes.find(key);
      const uint64_t bytes = it == index.bytes.end() ? 0 : key == "object Object" ? unclaimed_plain : it->second;
      if (bytes == 0) continue;
      Line& line = lines[level][{c.function(), c.line()}];
      line.bytes += bytes;
      if (line.first < 0) line.first = k;
    }
    // Each level's best line; a level is passed over where its best holds less than
    // 1/kStrayShare of what a later level's best holds: a stray survivor of that kind, not
    // the leak's (a lone 40-byte Object beside 6,400 bytes of the strings a `Symbol.for`
    // key kept put a leak on the line of a literal that nothing kept, in 3 runs of 4,
    // api_corpus/01_symbol_for_request_key.js). A closure at its own position holding a
    // tenth of a literal's bytes still wins (ClosureAtItsOwnPositionBeatsALiteralWithMoreBytes).
    const Line* best[kLevels] = {};
    for (int l = 0; l < kLevels; ++l) {
      for (const auto& [where, line] : lines[l]) {
        if (best[l] == nullptr || line.bytes > best[l]->bytes ||
            (line.bytes == best[l]->bytes && line.first < best[l]->first)) {
          best[l] = &line;
        }
      }
    }
    bool picked = false;
    for (int l = 0; l < kLevels; ++l) {
      if (best[l] == nullptr) continue;
      uint64_t later = 0;
      for (int m = l + 1; m < kLevels; ++m) later = std::max(later, best[m] == nullptr ? 0 : best[m]->bytes);
      if (best[l]->bytes * kStrayShare < later) continue;
      const v1::AllocationCandidate& c = site.candidates(best[l]->first);
      site.set_line(c.line());
      site.set_column(c.column());
      site.set_position(v1::ALLOCATION_POSITION_RETAINED);
      if (!c.function().empty()) site.set_function(c.function());
      picked = true;
      break;
    }
    if (!picked) {
      // No expression of the function made what the window kept: its one native call whose
      // value it passes on (driver.js nativeCallsPassedOn: `JSON.parse(`, `structuredClone(`,
      // which allocate in their caller's frame), when it has one.
      const v1::AllocationCandidate* call = nullptr;
      bool one = true;
      for (const v1::AllocationCandidate& c : site.candidates()) {
        if (c.makes() != "call") continue;
        if (call != nullptr && call->line() != c.line()) one = false;
        call = &c;
      }
      if (call != nullptr && one) {
        site.set_line(call->line());
        site.set_column(call->column());
        site.set_position(v1::ALLOCATION_POSITION_CALL);
        picked = true;
      }
    }
    if (!picked && site.candidates_size() > 0 && site.position() == v1::ALLOCATION_POSITION_EXPRESSION) {
      site.set_position(v1::ALLOCATION_POSITION_FUNCTION);
      site.set_line(site.function_line());
      site.set_column(0);
    }
    site.clear_candidates();
  }
  MergeSameLines(sites);
  // Sites come ordered by their estimated bytes. A site with a line moves ahead of each site
  // with none just before it that its bytes cannot be told from (a difference within twice
  // their joint standard error): with a few samples each, their order is chance.
  for (size_t j = 1; j < sites->size(); ++j) {
    for (size_t k = j; k > 0 && SiteHasLine((*sites)[k]) && !SiteHasLine((*sites)[k - 1]); --k) {
      const v1::AllocationSite& ahead = (*sites)[k - 1];
      const v1::AllocationSite& site = (*sites)[k];
      const double error =
          std::hypot(static_cast<double>(ahead.bytes_error()), static_cast<double>(site.bytes_error()));
      if (static_cast<double>(ahead.bytes()) - static_cast<double>(site.bytes()) > 2 * error) break;
      std::swap((*sites)[k - 1], (*sites)[k]);
    }
  }
}

void MergeSameLines(std::vector<v1::AllocationSite>* sites) {
  std::vector<v1::AllocationSite> merged;
  for (v1::AllocationSite& site : *sites) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const v1::AllocationSite& m) {
      return m.file() == site.file() && m.line() == site.line() && m.column() == site.column() &&
             m.position() == site.position();
    });
    if (same == merged.end()) {
      merged.push_back(std::move(site));
      continue;
    }
    if (site.bytes() > same->bytes()) {  // the larger share's sampled function
      same->set_function(site.function());
      same->set_function_line(site.function_line());
    }
    same->set_count(same->count() + site.count());
    same->set_bytes(same->bytes() + site.bytes());
    same->set_bytes_error(static_cast<uint64_t>(
        std::llround(std::hypot(static_cast<double>(same->bytes_error()), static_cast<double>(site.bytes_error())))));
  }
  std::stable_sort(merged.begin(), merged.end(),
                   [](const v1::AllocationSite& a, const v1::AllocationSite& b) { return a.bytes() > b.bytes(); });
  *sites = std::move(merged);
}

bool SiteHasLine(const v1::AllocationSite& site) {
  return site.position() != v1::ALLOCATION_POSITION_FUNCTION &&
         site.position() != v1::ALLOCATION_POSITION_UNSPECIFIED;
}

}  // namespace heapstorm
