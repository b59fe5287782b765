// Reads V8 heap snapshots (.heapsnapshot, as written by v8.writeHeapSnapshot) as a stream:
// the nodes are aggregated by constructor while the file is read in 1 MiB chunks, the edges
// are skipped, and only the strings that name something are kept. Memory stays far below
// the file's size: per node only its id (8 bytes, for the three-snapshot diff).
//
// DiffSnapshots() names what leaks by the three-snapshot technique: objects allocated
// after the first snapshot (their ids are new in the second) that are still alive in the
// third, grouped by constructor, and by the source position the snapshot's `locations`
// give them (a closure's own position: allocation_line.h picks a site's line with it).
#ifndef HEAPSTORM_WORKER_ENGINE_HEAP_SNAPSHOT_H_
#define HEAPSTORM_WORKER_ENGINE_HEAP_SNAPSHOT_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/result.pb.h"

namespace heapstorm {

struct ConstructorStats {
  uint64_t count = 0;
  uint64_t bytes = 0;  // shallow (self) size
};

// (node type, constructor name) → totals.
using ConstructorKey = std::pair<std::string, std::string>;

// A backing store an object owns: the array of elements of a JS array (its internal
// "elements" edge), or the hash table of a Map, Set, WeakMap or WeakSet ("table") or of an
// object in dictionary mode ("properties"). Only stores of at least kMinBackingBytes are
// kept. The growth of arrays' elements and of tables is counted apart: hash tables with
// deletions step up 4x and more while bounded (an LRU and a TTL map of the leak corpus
// were false alarms when their growth counted alone), so a table's growth is evidence only
// where the series rose as much as its last step (ConfirmByRetention).
struct BackingStore {
  uint64_t id = 0;    // the store's node id (a new one each time it is reallocated)
  uint64_t bytes = 0; // its shallow size
  bool weak = false;  // a WeakMap's or WeakSet's table
  std::string owner{};  // a table's owner's name: "Map", "Set", "Object"
  // An elements store's slots holding an object (its own edges: V8 records none for a
  // hole, undefined or a small integer), and how many slots it has: 8 bytes each after
  // a FixedArray's 16-byte header (x64, no pointer compression, as node's builds are).
  uint64_t filled = 0;
  uint64_t Slots() const { return bytes > kFixedArrayHeader ? (bytes - kFixedArrayHeader) / 8 : 0; }
  static constexpr uint64_t kFixedArrayHeader = 16;
};
inline constexpr uint64_t kMinBackingBytes = 1024;
// A store counts as grown only when the third snapshot's is at least this many times the
// first's: without it, the stores of a Set of ~900 live ids with random deletions and its
// array of candidates (leak corpus set_window.js) counted 3-4 B/iteration over 8,000
// iterations, enough to "confirm" a leak that is not there.
inline constexpr double kMinBackingGrowth = 2.5;

struct SnapshotSummary {
  std::map<ConstructorKey, ConstructorStats> by_constructor;
  std::vector<uint64_t> ids;  // every node id, sorted
  uint64_t nodes = 0;
  uint64_t bytes = 0;
  // Owner's node id → its large elements store, when asked for (ReadHeapSnapshot).
  std::map<uint64_t, BackingStore> backing;
  // Owner's node id → its large hash table or dictionary of properties, likewise.
  std::map<uint64_t, BackingStore> tables;
  // With `new_since`: per node type among string and native (a Buffer's data), the largest
  // node not in it (id and bytes).
  std::map<std::string, BackingStore> largest_fresh;
  // With `held`: for each of them, the first object that holds it by a property or an
  // element, else by another strong edge (a string's part, a hash table's slot, a
  // context's variable): node ids, the holder one of them or not.
  std::map<uint64_t, uint64_t> held_by;
  // With `held`, and with `backing` and `fresh` for each fresh native node: for each native
  // node among them, every node that holds it by a strong edge (sorted ids).
  std::map<uint64_t, std::vector<uint64_t>> native_holders;
  // With `held`: for each of them, what it is (FreshNode::identity). V8 keys a heap object's
  // id by its address, and follows it when the collector moves it, but clears a dead one's
  // only when a snapshot is taken: an object allocated where one of the window died takes
  // its id. At the third snapshot, that id's node is another object, one the window did not
  // make; where it is of another type, or another string or constructor, it is told apart.
  std::map<uint64_t, uint64_t> held_identity;
  // With `held`: node's current Buffer pool, its slab (held or not, unless another held
  // node holds it) and node's view of it when held. Sorted ids.
  std::vector<uint64_t> pool;
};

// Reads a whole snapshot. `new_since` (sorted ids of an earlier snapshot) makes
// `fresh` (when given) collect, per node id not in it, the node's constructor and size, and
// fills SnapshotSummary::largest_fresh.
// With it, the node's source position where the snapshot records one (its `locations`:
// a closure's own position, a function's, an object's constructor's), script_id -1 when
// none.
struct FreshNode {
  uint64_t id;
  ConstructorKey key;
  uint64_t size;
  int64_t script_id = -1;
  uint32_t line = 0;    // 0-based
  uint32_t column = 0;  // 0-based
  // With `backing` too, an object's shape: the names of its properties that the snapshot
  // records (not those holding small integers: V8 gives them no edge), sorted, joined with
  // commas ("nested,route"); "" for none, or more than 16.
  std::string shape;
  // What it is: its type and, for a string, its content, for an object, a closure or a
  // RegExp, its constructor, function or pattern (SnapshotSummary::held_identity compares
  // it); 0 for not known.
  uint64_t identity = 0;
};
// With `backing`, the edges are read too (per node 5 more bytes while reading) to fill
// SnapshotSummary::backing; otherwise they are skipped. With `held` too (sorted node ids),
// SnapshotSummary::held_by.
absl::StatusOr<SnapshotSummary> ReadHeapSnapshot(const std::string& path,
                                                 const std::vector<uint64_t>* new_since = nullptr,
                                                 std::vector<FreshNode>* fresh = nullptr, bool backing = false,
                                                 const std::vector<uint64_t>* held = nullptr);

// True for V8's own objects by node type: code (bytecode, feedback, scope infos, compiled
// code), hidden ((system)), object shapes (maps, descriptor arrays) and synthetic roots.
// They grow as V8 compiles and optimizes; on their own they are never a program's leak.
bool IsV8Internal(const std::string& node_type);

// What a survivor's constructor is marked with when it is node's current Buffer pool
// (SnapshotSummary::pool): the runtime's own like V8's, a culprit with v8_internal set.
inline constexpr char kNodePool[] = " (node's Buffer pool)";
// What a survivor's constructor is marked with when it is one of V8's records (hidden) that
// a program survivor holds (a kept Error's stack records): the program's, not V8's.
inline constexpr char kHeldByProgram[] = " (held by the program)";

// The three-snapshot diff: what was allocated between the first and the second snapshot
// and is still alive at the third.
struct SnapshotDiff {
  // By constructor, largest shallow bytes first, at most `limit`; V8's own marked.
  std::vector<v1::LeakCulprit> culprits;
  // Totals over all of them (not only the listed ones), program and V8-internal.
  uint64_t program_bytes = 0;
  uint64_t v8_internal_bytes = 0;
  // The part of program_bytes in native nodes (an ArrayBuffer's backing store, node's C++
  // objects): memory outside V8's heap, which its allocation sampler does not see.
  uint64_t program_native_bytes = 0;
  // What long-lived arrays' elements stores grew by from the first snapshot to the third
  // (and a value replaced by a bigger one: the largest string or native node new
  // since the second snapshot less the largest new in the window, when it grew as much as
  // DiffSnapshots' `replaced` asks and no more),
  // where they grew at every snapshot and at least kMinBackingGrowth-fold (a store or table
  // an object older than the window was given in it is not among the window's objects):
  // elements added to an array (or entries to a Map) that live in a store reallocated as it
  // grows, so no object of the window is the one alive at the third snapshot.
  uint64_t backing_growth_bytes = 0;
  // The part of it that is arrays' elements stores (not values replaced by bigger ones), and
  // those arrays: owner's node id → its store's bytes at the third snapshot. Like a table,
  // an array of numbers that leaks holds no object of its own, and a bounded one that was
  // filling over [s1, s3] (lru-cache with `maxSize`, whose arrays grow by pushes) grew as
  // much (RunMonitor::WatchTable tells them apart by their entries).
  uint64_t array_growth_bytes = 0;
  std::map<uint64_t, uint64_t> grown_arrays;
  // Likewise for the hash tables of Maps and Sets and the dictionaries of objects (not
  // weak collections'): their growth from the first snapshot to the third, and the part of
  // it after the second. A Set of numbers or a Map of numbers to numbers that leaks holds
  // no object but its table.
  uint64_t table_growth_bytes = 0;
  uint64_t table_growth_after_bytes = 0;
  // The owner of the store or table that grew most (its node id), 0 when none: where the
  // retainer path leads when no object of the window survived.
  uint64_t store_owner_id = 0;
  // That store is a value replaced by a bigger one (a string, a Buffer's data): the path to
  // it names the variable that holds it, where the window's survivors may be any part.
  bool reallocated = false;
  // The tables counted in table_growth_bytes: owner's node id → the table's bytes at the
  // third snapshot (to be compared with a later snapshot's, TableDoubled).
  std::map<uint64_t, uint64_t> grown_tables;
  // The same tables as culprits: by their owners' constructor, the growth in bytes (no new
  // object: the owner is older than the window).
  std::vector<v1::LeakCulprit> table_culprits;
  // One surviving object of the largest program culprit (its node id), 0 when none: of its
  // largest group by source position and shape (Placed), the leak's own objects. An object
  // that merely shares their constructor (a literal's boilerplate V8 made in the window,
  // held by compiled code) is alone in its group.
  uint64_t representative_id = 0;
  // The same survivors by constructor and source position (FreshNode), for choosing an
  // allocation site's line (allocation_line.h); unordered, all of them.
  struct Placed {
    ConstructorKey key;
    int64_t script_id = -1;
    uint32_t line = 0, column = 0;  // 0-based
    uint64_t bytes = 0;
    std::string shape;  // FreshNode::shape
    // A plain Object's own size where its shape names no property: V8 gives a small
    // integer no edge and a double an unnamed hidden one, so `{ id, at: Date.now() }`
    // reads as an Object of 40 bytes with no name. 0 otherwise.
    uint64_t unnamed_size = 0;
  };
  std::vector<Placed> placed;
  // The object that holds most of the window's survivors directly (by their shallow
  // bytes), when it has an elements store that is the same at the first snapshot and the
  // third: an array allocated at its full size before the window (an LRU's preallocated
  // slots, a ring buffer) or one with room to spare. It holds no more than its slots until
  // it is reallocated, so the growth it carries stops when it is full, unless it is a
  // leak's array that grows on (RunMonitor::WatchStore watches the series past that).
  struct FixedStore {
    uint64_t owner_id = 0;
    uint64_t slots = 0;
    uint64_t filled_s1 = 0, filled_s3 = 0;
  };
  std::optional<FixedStore> fixed_store;
  // With a fixed store: the survivors not held through any such array (their holders'
  // chain by properties and elements ends elsewhere: a Map beside the cache, a closure),
  // as `culprits`, `program_bytes`, `representative_id` and `placed` count them all. When
  // the series grows on after the array is full, they are the leak's objects, and the
  // cache's own are not (a Map of metadata never deleted from beside an LRU).
  struct Beside {
    std::vector<v1::LeakCulprit> culprits;
    uint64_t program_bytes = 0;
    uint64_t representative_id = 0;
    std::vector<Placed> placed;
  };
  Beside beside;
};
// How many times its size in the window a value replaced by a bigger one must be at the
// third snapshot to count (SnapshotDiff::backing_growth_bytes): at least `least`, at most
// `most` (the engine's ReplacedGrowthBetween: what a value growing at each iteration since
// before the first snapshot shows over the iterations between them).
struct ReplacedGrowth {
  double least = kMinBackingGrowth;
  double most = std::numeric_limits<double>::infinity();
};
// The end of a watch (the check's third snapshot taken again further on, from the same
// first two): the stores that grew at the check's own reading, its first third snapshot
// (SnapshotDiff::grown_arrays and grown_tables there: owner's node id → bytes), and the
// iterations from the first snapshot to that reading (`before`) and from it to the third
// (`since`). Every watch of a check reads against that one reading: against the last
// watch's end, a store that stopped growing there would not be listed, and would count
// again. Such a store counts again only where it went on growing since at least
// 1 / kStorePaceSlack of the pace per iteration it had before. A leak's store grows with its
// entries, its size within its slack of them at each reading (an array's store up to 1.5 times its elements, a table up to
// twice its entries), so its two paces differ by less: at most ~4.6-fold for a table that
// held 10,000 entries before s1 and gains one an iteration, read at 8,784 and at 81,031,
// each reading at its table's worst. A bounded store that filled before the reading stays
// within a step of its size there. Judged only where a store growing at its pace before
// would have grown since by kStoreGrowthToJudge times its size at the reading: a table
// takes up to its own size in entries before it doubles (more where the reading caught it
// at the top of its slack), and a shorter watch may see a leak's table not step at all:
// shape_corpus/late_dictionary_cache.js at 10,000, read at 183,474 and again at 250,000, its
// dictionary (~12 MiB) the same at both, was `inconclusive` with it judged.
// codebound_corpus/05 at 2,000 (a queue capped at 8,000 keys by push and shift, whose
// store swings between 8,000 and 12,017 slots as shift trims it) had its window freed at
// 80,251 and its queue's store 68 KiB larger than at s1, as it was at the reading at 8,784:
// "carried by an array alone", it needed the run to go on to 165,517, and was `inconclusive`
// in a CI run.
struct StoresAtReading {
  std::map<uint64_t, uint64_t> arrays, tables;
  uint64_t before = 0, since = 0;
};
inline constexpr double kStorePaceSlack = 8;
inline constexpr double kStoreGrowthToJudge = 2;

// `limit`: how many culprits are listed, by bytes.
inline constexpr size_t kCulpritLimit = 20;
absl::StatusOr<SnapshotDiff> DiffSnapshots(const std::string& first, const std::string& second,
                                           const std::string& third, size_t limit = kCulpritLimit,
                                           ReplacedGrowth replaced = {}, const StoresAtReading& last = {});

// Whether any of `grown_tables` (SnapshotDiff::grown_tables or grown_arrays) is at least 1.5
// times its size in the snapshot at `path`, read alone: a table that grows by doubling, or an
// array by half, did again.
absl::StatusOr<bool> TableDoubled(const std::string& path, const std::map<uint64_t, uint64_t>& grown_tables);

// The shortest chain of strong references (weak edges skipped) from the snapshot's root
// to the node with id `target_id`, through as few of V8's internal arrays and code as can
// be (StrongHops), as labels: each hop is "edge (node)", e.g.
// ["sessions (Map)", "table (Array)", "[12] Session"]; GC-root bookkeeping at the start is
// kept as it is. Streams the file once; holds per node 22 bytes and per edge 9 bytes (far
// less than the text), no strings but the ones on the path. NotFound when no strong path
// reaches it; InvalidArgument for a file that is not a snapshot.
absl::StatusOr<std::vector<std::string>> ShortestRetainerPath(const std::string& path, uint64_t target_id);

// A retainer path's steps as one line: the last `last` hops (the way from a GC root to a
// user's module is node's own, 30 hops and more), after "… → " when some are left out,
// with a hop repeated in a row said once ("first ((string)) x24": a string appended to).
std::string RetainerPathText(const std::vector<std::string>& steps, size_t last);

}  // namespace heapstorm

#endif  // HEAPSTORM_WORKER_ENGINE_HEAP_SNAPSHOT_H_
