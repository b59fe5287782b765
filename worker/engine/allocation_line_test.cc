// PickRetainedLines on sites and survivors written by hand, shaped like the leak corpus's:
// a closure chain with its config object, an Error thrown beside an object literal, a
// constructor whose instances the caller's `new` made, and candidates nothing retains.
#include "worker/engine/allocation_line.h"

#include "gtest/gtest.h"

namespace heapstorm {
namespace {

SnapshotDiff::Placed Survivor(const std::string& type, const std::string& name, uint64_t bytes,
                              int64_t script = -1, uint32_t line = 0, uint32_t column = 0,
                              const std::string& shape = "") {
  return {ConstructorKey(type, name), script, line, column, bytes, shape};
}

v1::AllocationSite Site(const std::string& function, uint32_t line,
                        const std::vector<std::tuple<uint32_t, std::string, std::string>>& candidates) {
  v1::AllocationSite site;
  site.set_function(function);
  site.set_file("/m.js");
  site.set_line(line);
  site.set_column(1);
  site.set_position(v1::ALLOCATION_POSITION_FUNCTION);
  for (const auto& [at, in, makes] : candidates) {
    v1::AllocationCandidate* c = site.add_candidates();
    c->set_line(at);
    c->set_column(3);
    c->set_function(in);
    c->set_makes(makes);
  }
  return site;
}

TEST(AllocationLineTest, ClosureAtItsOwnPositionBeatsALiteralWithMoreBytes) {
  std::vector<v1::AllocationSite> sites = {
      Site("use", 6, {{8, "", "object Object"}, {8, "", "string"}, {9, "", "closure@7:8:13"}})};
  PickRetainedLines({Survivor("object", "Object", 9000), Survivor("string", "(string)", 5000),
                     Survivor("closure", "(closure) pipeline", 800, 7, 8, 13)},
                    &sites);
  EXPECT_EQ(sites[0].line(), 9u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);
  EXPECT_EQ(sites[0].function(), "use");
  EXPECT_EQ(sites[0].candidates_size(), 0);
}

TEST(AllocationLineTest, AnObjectLiteralIsToldFromAnotherByItsKeys) {
  // A warm-up cache's literal (with `new Array` and a string beside it) on line 8, the kept
  // record's on line 10: the survivors are records ({i, route, at}: V8 records `route` alone,
  // the small integers get no edge). By kind alone line 8 won, with the Array's bytes added.
  std::vector<v1::AllocationSite> sites = {
      Site("iteration", 7, {{8, "", "object Object"}, {8, "", "string"}, {8, "", "object Array"},
                            {10, "", "object Object"}, {10, "", "string"}})};
  sites[0].mutable_candidates(0)->set_keys("i,key,payload");
  sites[0].mutable_candidates(3)->set_keys("at,i,route");
  const std::vector<SnapshotDiff::Placed> survivors = {
      Survivor("object", "Object", 3200, -1, 0, 0, "route"), Survivor("object", "Array", 800),
      Survivor("string", "(string)", 2400)};
  PickRetainedLines(survivors, &sites);
  EXPECT_EQ(sites[0].line(), 10u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);
  // Without the keys (an older driver, a spread), the kinds decide as before.
  sites = {Site("iteration", 7, {{8, "", "object Object"}, {8, "", "string"}, {8, "", "object Array"},
                                 {10, "", "object Object"}, {10, "", "string"}})};
  PickRetainedLines(survivors, &sites);
  EXPECT_EQ(sites[0].line(), 8u);
  // A survivor with a property the literal does not name was not made by it.
  sites = {Site("iteration", 7, {{8, "", "object Object"}, {10, "", "object Object"}})};
  sites[0].mutable_candidates(0)->set_keys("i,key,payload");
  sites[0].mutable_candidates(1)->set_keys("at,i,route");
  PickRetainedLines({Survivor("object", "Object", 3200, -1, 0, 0, "key,payload"),
                     Survivor("object", "Object", 9000, -1, 0, 0, "added,route")},
                    &sites);
  EXPECT_EQ(sites[0].line(), 8u);
}

TEST(AllocationLineTest, ALiteralWhoseFieldsV8DoesNotNameIsToldByItsSize) {
  // A router's dispatch(): `return { status: 404 }` (line 34), `const params = {}` (36) and
  // the kept access record `{ id: requestId, at: Date.now() }` (40). V8 names neither field
  // of the record (a small integer has no edge, a double an unnamed hidden one): the
  // survivors are 40-byte Objects with no shape, and by kind alone the first literal, line
  // 34, took them, in 4 runs of 4 of a module written elsewhere.
  auto dispatch = [] {
    std::vector<v1::AllocationSite> sites = {
        Site("dispatch", 29, {{34, "", "object Object"}, {36, "", "object Object"}, {40, "", "object Object"}})};
    sites[0].mutable_candidates(0)->set_keys("status");
    sites[0].mutable_candidates(2)->set_keys("at,id");
    return sites;
  };
  auto survivors = [](uint64_t size) {
    SnapshotDiff::Placed p = Survivor("object", "Object", 56000);
    p.unnamed_size = size;
    return std::vector<SnapshotDiff::Placed>{p};
  };
  std::vector<v1::AllocationSite> sites = dispatch();
  PickRetainedLines(survivors(40), &sites);
  EXPECT_EQ(sites[0].line(), 40u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);
  // 32 bytes: one field, `{ status: 404 }`'s.
  sites = dispatch();
  PickRetainedLines(survivors(32), &sites);
  EXPECT_EQ(sites[0].line(), 34u);
  // A size no literal of the function has (pointer compression halves the words): by kind
  // alone, as before.
  sites = dispatch();
  PickRetainedLines(survivors(20), &sites);
  EXPECT_EQ(sites[0].line(), 34u);
  // A survivor whose shape names a property is matched by its names, not its size.
  sites = dispatch();
  SnapshotDiff::Placed named = Survivor("object", "Object", 56000, -1, 0, 0, "status");
  PickRetainedLines({named}, &sites);
  EXPECT_EQ(sites[0].line(), 34u);
}

TEST(AllocationLineTest, SurvivorsAnotherSitesLiteralMadeAreNotALiteralOfOtherKeys) {
  // codebound_corpus/09_lru_meta_map_leak.js: set() keeps `{ hits, created, tag }` records
  // (line 20) keyed by the caller's `'key:' + i` (29); the caller's `{ id, payload }` (30)
  // died. By kind alone the caller's literal took the records' bytes.
  std::vector<v1::AllocationSite> sites = {
      Site("set", 17, {{20, "", "object Object"}, {20, "", "string"}}),
      Site("iteration", 28, {{29, "", "string"}, {30, "", "object Object"}, {31, "", "string"}})};
  sites[0].mutable_candidates(0)->set_keys("created,hits,tag");
  sites[1].mutable_candidates(1)->set_keys("id,payload");
  const std::vector<SnapshotDiff::Placed> survivors = {Survivor("object", "Object", 9000, -1, 0, 0, "tag"),
                                                       Survivor("string", "(string)", 6000)};
  PickRetainedLines(survivors, &sites);
  ASSERT_EQ(sites.size(), 2u);
  for (const v1::AllocationSite& site : sites) {
    EXPECT_EQ(site.line(), site.function() == "set" ? 20u : 29u) << site.function();
    EXPECT_EQ(site.position(), v1::ALLOCATION_POSITION_RETAINED) << site.function();
  }
  // A survivor no literal's keys explain (a property added after the literal) is still any
  // literal's by kind.
  sites = {Site("set", 17, {{20, "", "object Object"}}),
           Site("iteration", 28, {{29, "", "string"}, {30, "", "object Object"}})};
  sites[0].mutable_candidates(0)->set_keys("created,hits,tag");
  sites[1].mutable_candidates(1)->set_keys("id,payload");
  PickRetainedLines({Survivor("object", "Object", 9000, -1, 0, 0, "extra,payload"), Survivor("string", "(string)", 100)},
                    &sites);
  for (const v1::AllocationSite& site : sites) {
    if (site.function() == "iteration") {
      EXPECT_EQ(site.line(), 30u);
    }
  }
}

TEST(AllocationLineTest, ANativeCallsLineWhenNoExpressionMadeWhatWasKept) {
  // builtin_corpus/01_request_body_json_journal.js: decode() keeps what `JSON.parse(` (line
  // 27) made, in decode's own frame; its `new Error` (28) made nothing kept.
  std::vector<v1::AllocationSite> sites = {Site("decode", 26, {{28, "", "object Error"}, {27, "", "call"}})};
  const std::vector<SnapshotDiff::Placed> survivors = {Survivor("object", "Object", 9000, -1, 0, 0, "items,trace"),
                                                       Survivor("object", "Array", 800),
                                                       Survivor("string", "(string)", 2400)};
  PickRetainedLines(survivors, &sites);
  EXPECT_EQ(sites[0].line(), 27u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_CALL);
  // An expression that made what was kept wins over the call.
  sites = {Site("decode", 26, {{28, "", "object Error"}, {27, "", "call"}})};
  PickRetainedLines({Survivor("object", "Error", 9000)}, &sites);
  EXPECT_EQ(sites[0].line(), 28u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);
  // Two such calls: no one line.
  sites = {Site("decode", 26, {{27, "", "call"}, {29, "", "call"}})};
  PickRetainedLines(survivors, &sites);
  EXPECT_EQ(sites[0].line(), 26u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_FUNCTION);
}

TEST(AllocationLineTest, ClosureElsewhereInTheScriptDoesNotMatch) {
  std::vector<v1::AllocationSite> sites = {Site("use", 6, {{8, "", "object Object"}, {9, "", "closure@7:8:13"}})};
  PickRetainedLines({Survivor("object", "Object", 100), Survivor("closure", "(closure)", 800, 7, 8, 14),
                     Survivor("closure", "(closure)", 800, 8, 8, 13)},
                    &sites);
  EXPECT_EQ(sites[0].line(), 8u);
}

TEST(AllocationLineTest, ABuiltinConstructorBeatsLiteralsAndStrings) {
  // fetchQuote: `new Promise` (not retained), `new Error` with a template, a returned literal.
  std::vector<v1::AllocationSite> sites = {Site("fetchQuote", 7,
                                                {{8, "", "object Promise"},
                                                 {8, "", "closure@3:7:20"},
                                                 {9, "", "object Error"},
                                                 {9, "", "string"},
                                                 {10, "", "object Object"}})};
  PickRetainedLines({Survivor("object", "Error", 2800), Survivor("object", "Object", 9000),
                     Survivor("string", "(string)", 9000), Survivor("hidden", "system / CallSiteInfo", 16000)},
                    &sites);
  EXPECT_EQ(sites[0].line(), 9u);
  EXPECT_EQ(sites[0].column(), 3u);
}

// A lone survivor of a literal's kind beside the strings the leak keeps: the strings' line
// (api_corpus/01_symbol_for_request_key.js: the `Symbol.for` key's concatenation on line 10
// kept 6,400 bytes of strings, one 40-byte Object matched line 11's literal). Where the
// literal's survivors are a share worth counting, it still goes first.
TEST(AllocationLineTest, AStraySurvivorOfAnEarlierLevelDoesNotOutweighALaterLevelsBulk) {
  std::vector<v1::AllocationSite> sites = {Site("tagRequest", 7, {{10, "", "string"}, {11, "", "object Object"}})};
  PickRetainedLines({Survivor("string", "(string)", 6400), Survivor("symbol", "(symbol)", 4800),
                     Survivor("object", "Object", 40)},
                    &sites);
  EXPECT_EQ(sites[0].line(), 10u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);

  sites = {Site("tagRequest", 7, {{10, "", "string"}, {11, "", "object Object"}})};
  PickRetainedLines({Survivor("string", "(string)", 6400), Survivor("object", "Object", 400)}, &sites);
  EXPECT_EQ(sites[0].line(), 11u);
}

// A ledger that keeps every BigInt partial sum: the survivors are "bigint" nodes, and the
// line is the one whose arithmetic makes them, not a literal beside it nothing keeps
// (datastruct_corpus/07_bigint_ledger_full_history.js was put on its function's first line).
TEST(AllocationLineTest, KeptBigIntsNameTheLineOfTheirArithmetic) {
  std::vector<v1::AllocationSite> sites = {Site("settle", 10, {{11, "", "bigint"}, {13, "", "object Object"}})};
  PickRetainedLines({Survivor("bigint", "(bigint)", 8568), Survivor("object", "Object", 40)}, &sites);
  EXPECT_EQ(sites[0].line(), 11u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_RETAINED);
  // No BigInt kept: the literal's line, whose object is.
  sites = {Site("settle", 10, {{11, "", "bigint"}, {13, "", "object Object"}})};
  PickRetainedLines({Survivor("object", "Object", 4000)}, &sites);
  EXPECT_EQ(sites[0].line(), 13u);
}

// A registry of WebAssembly memories, one per tenant, each in a record literal: the
// 64 KiB stores outside the heap are the leak, and `new WebAssembly.Memory` made them.
TEST(AllocationLineTest, NativeStoresNameTheExpressionThatAllocatesThem) {
  auto sites = [] {
    return std::vector<v1::AllocationSite>{Site(
        "createSandbox", 14,
        {{15, "", "object Memory"}, {16, "", "object Uint32Array"}, {18, "", "object Object"}})};
  };
  std::vector<v1::AllocationSite> kept = sites();
  PickRetainedLines({Survivor("native", "system / JSArrayBufferData", 393216), Survivor("object", "Memory", 336),
                     Survivor("object", "Uint32Array", 576), Survivor("object", "Object", 336, -1, 0, 0, "")},
                    &kept);
  EXPECT_EQ(kept[0].line(), 15u);
  // The stores of node's Buffer pool are not the window's: by the constructors, as before.
  std::vector<v1::AllocationSite> pooled = sites();
  PickRetainedLines({Survivor("native", std::string("system / JSArrayBufferData") + kNodePool, 8192),
                     Survivor("object", "Memory", 336), Survivor("object", "Uint32Array", 576),
                     Survivor("object", "Object", 900)},
                    &pooled);
  EXPECT_EQ(pooled[0].line(), 16u);
  // Stores the window kept, but no Memory among the survivors: that `new` made scratch
  // memories, and the stores are someone else's (by the constructors, as before).
  std::vector<v1::AllocationSite> scratch = sites();
  PickRetainedLines({Survivor("native", "system / JSArrayBufferData", 393216), Survivor("object", "Uint32Array", 576),
                     Survivor("object", "Object", 900)},
                    &scratch);
  EXPECT_EQ(scratch[0].line(), 16u);
}

TEST(AllocationLineTest, TheCallersNewOfAConstructorNamesTheCaller) {
  std::vector<v1::AllocationSite> sites = {
      Site("Connection", 7, {{9, "", "string"}, {24, "exports.iteration", "class Connection"}})};
  PickRetainedLines({Survivor("object", "Connection", 1100), Survivor("string", "(string)", 6000)}, &sites);
  EXPECT_EQ(sites[0].line(), 24u);
  EXPECT_EQ(sites[0].function(), "exports.iteration");
  EXPECT_EQ(sites[0].function_line(), 0u);  // left as the driver sent it
}

TEST(AllocationLineTest, MostBytesWithinALevelAddedUpPerLineTiesToTheFirst) {
  std::vector<v1::AllocationSite> sites = {
      Site("f", 1, {{2, "", "object Object"}, {3, "", "object Array"}, {3, "", "object Object"}})};
  PickRetainedLines({Survivor("object", "Object", 100), Survivor("object", "Array", 50)}, &sites);
  EXPECT_EQ(sites[0].line(), 3u);  // 150 on line 3 against 100 on line 2

  std::vector<v1::AllocationSite> tie = {Site("f", 1, {{5, "", "object Object"}, {4, "", "object Object"}})};
  PickRetainedLines({Survivor("object", "Object", 100)}, &tie);
  EXPECT_EQ(tie[0].line(), 5u);
}

TEST(AllocationLineTest, NewFunctionMatchesAnonymousClosuresAheadOfItsSourceString) {
  std::vector<v1::AllocationSite> sites = {Site("makeHandler", 6, {{7, "", "string"}, {8, "", "closure anonymous"}})};
  PickRetainedLines({Survivor("string", "(string)", 29000), Survivor("closure", "(closure) anonymous", 12000, 40, 0, 9)},
                    &sites);
  EXPECT_EQ(sites[0].line(), 8u);
  std::vector<v1::AllocationSite> unnamed = {Site("makeHandler", 6, {{7, "", "string"}, {8, "", "closure anonymous"}})};
  PickRetainedLines({Survivor("string", "(string)", 29000), Survivor("closure", "(closure)", 12000, 40, 0, 9)}, &unnamed);
  EXPECT_EQ(unnamed[0].line(), 8u);
}

TEST(AllocationLineTest, NothingRetainedKeepsTheDriversLineAndDropsTheCandidates) {
  std::vector<v1::AllocationSite> sites = {Site("f", 11, {{12, "", "object Map"}, {13, "", "closure@1:12:4"}}),
                                           Site("g", 20, {})};
  sites[1].set_position(v1::ALLOCATION_POSITION_CALL);
  sites[0].set_bytes(4096);  // exact (no sampling error): the order stays
  sites[1].set_bytes(2048);
  PickRetainedLines({Survivor("object", "Set", 500), Survivor("code", "(compiled code)", 900)}, &sites);
  EXPECT_EQ(sites[0].line(), 11u);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_FUNCTION);
  EXPECT_EQ(sites[0].candidates_size(), 0);
  EXPECT_EQ(sites[1].line(), 20u);
  EXPECT_EQ(sites[1].position(), v1::ALLOCATION_POSITION_CALL);
  EXPECT_FALSE(SiteHasLine(sites[0]));
  EXPECT_TRUE(SiteHasLine(sites[1]));
}

TEST(AllocationLineTest, AnExpressionTheSurvivorsContradictFallsBackToTheFunction) {
  // slow_leak_ints.mjs: `new Error` is the function's one allocating expression, but what
  // is retained is an array's store of small integers.
  std::vector<v1::AllocationSite> sites = {Site("iteration", 11, {{11, "", "object Error"}})};
  sites[0].set_position(v1::ALLOCATION_POSITION_EXPRESSION);
  sites[0].set_function_line(5);
  PickRetainedLines({Survivor("object", "Object", 300), Survivor("code", "(compiled code)", 2000)}, &sites);
  EXPECT_EQ(sites[0].position(), v1::ALLOCATION_POSITION_FUNCTION);
  EXPECT_EQ(sites[0].line(), 5u);
  EXPECT_FALSE(SiteHasLine(sites[0]));
}

// leak_corpus/pooled_slice_pin.js at 2,000: the window kept ~12 slices of 48 B and the
// pool slabs they pin, one sample each. The pool's function (no line) drew a few bytes more
// by chance; the kept slice's line goes first. Told apart by more than twice their error,
// the order stays.
TEST(AllocationLineTest, ALinedSiteGoesAheadOfOneWithoutALineItCannotBeToldFrom) {
  auto sampled = [](v1::AllocationSite site, uint64_t bytes, uint64_t error) {
    site.set_bytes(bytes);
    site.set_bytes_error(error);
    return site;
  };
  v1::AllocationSite pool = sampled(Site("parseFrame", 7, {}), 2101, 2036);
  v1::AllocationSite slice = sampled(Site("exports.iteration", 18, {}), 2080, 2030);
  slice.set_position(v1::ALLOCATION_POSITION_CALL);
  v1::AllocationSite other = sampled(Site("h", 30, {}), 2090, 2040);

  std::vector<v1::AllocationSite> sites = {pool, other, slice};  // by bytes, as the driver sends them
  PickRetainedLines({}, &sites);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].line(), 18u);  // ahead of both sites without a line
  EXPECT_EQ(sites[1].function(), "parseFrame");
  EXPECT_EQ(sites[2].function(), "h");

  // 40 samples of the pool against 2 of the slice: the pool's function stays first.
  std::vector<v1::AllocationSite> apart = {sampled(Site("parseFrame", 7, {}), 83000, 13000), slice};
  PickRetainedLines({}, &apart);
  EXPECT_EQ(apart[0].function(), "parseFrame");
  // A large object is sampled almost surely: 1 MiB with no error is not 2 KiB.
  std::vector<v1::AllocationSite> large = {sampled(Site("grow", 2, {}), 1 << 20, 0), slice};
  PickRetainedLines({}, &large);
  EXPECT_EQ(large[0].function(), "grow");
}

// pooled_slice_pin.js's store sites as they came: one push, under the two names V8 gives
// its iteration(), and another line. One row per place, the counts and bytes added, the
// errors in quadrature, the name of the larger share; a FUNCTION site of another function
// on the same line stays apart.
TEST(AllocationLineTest, SitesOfOnePlaceAreMerged) {
  auto store = [](const std::string& function, uint32_t line, uint64_t count, uint64_t bytes, uint64_t error) {
    v1::AllocationSite site;
    site.set_function(function);
    site.set_file("/m/pooled_slice_pin.js");
    site.set_line(line);
    site.set_column(5);
    site.set_function_line(15);
    site.set_position(v1::ALLOCATION_POSITION_STORE);
    site.set_count(count);
    site.set_bytes(bytes);
    site.set_bytes_error(error);
    return site;
  };
  v1::AllocationSite other = store("helper", 18, 1, 40000, 0);
  other.set_position(v1::ALLOCATION_POSITION_FUNCTION);
  other.set_function_line(18);
  std::vector<v1::AllocationSite> sites = {store("iteration", 18, 12, 41410, 6707), other,
                                           store("exports.iteration", 18, 9, 29541, 5880),
                                           store("exports.iteration", 20, 2, 6000, 2800)};
  MergeSameLines(&sites);
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].function(), "iteration");
  EXPECT_EQ(sites[0].line(), 18u);
  EXPECT_EQ(sites[0].count(), 21u);
  EXPECT_EQ(sites[0].bytes(), 70951u);
  EXPECT_EQ(sites[0].bytes_error(), 8920u);  // sqrt(6707^2 + 5880^2)
  EXPECT_EQ(sites[1].function(), "helper");
  EXPECT_EQ(sites[2].line(), 20u);

  // The larger share names it, whichever came first.
  std::vector<v1::AllocationSite> swapped = {store("iteration", 18, 2, 6000, 2800),
                                             store("exports.iteration", 18, 9, 29541, 5880)};
  MergeSameLines(&swapped);
  ASSERT_EQ(swapped.size(), 1u);
  EXPECT_EQ(swapped[0].function(), "exports.iteration");
}

// A cache filled with what a helper builds, as an unseen module's leak came: the helper's
// line (render, from line 8) sampled in its own frame, and in iteration's (from line 12),
// which V8 inlined it into. One row, named after the larger share's frame.
TEST(AllocationLineTest, AHelpersLineSampledInItsCallersFrameIsOnePlace) {
  auto retained = [](uint32_t function_line, uint64_t count, uint64_t bytes, uint64_t error) {
    v1::AllocationSite site;
    site.set_function("render");
    site.set_file("/m/late_cache.js");
    site.set_line(9);
    site.set_column(17);
    site.set_function_line(function_line);
    site.set_position(v1::ALLOCATION_POSITION_RETAINED);
    site.set_count(count);
    site.set_bytes(bytes);
    site.set_bytes_error(error);
    return site;
  };
  std::vector<v1::AllocationSite> sites = {retained(8, 12, 39133, 6798), retained(12, 8, 26004, 5555)};
  MergeSameLines(&sites);
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].line(), 9u);
  EXPECT_EQ(sites[0].count(), 20u);
  EXPECT_EQ(sites[0].bytes(), 65137u);
  EXPECT_EQ(sites[0].bytes_error(), 8779u);  // sqrt(6798^2 + 5555^2)
  EXPECT_EQ(sites[0].function_line(), 8u);

  std::vector<v1::AllocationSite> swapped = {retained(8, 2, 6000, 2800), retained(12, 8, 26004, 5555)};
  MergeSameLines(&swapped);
  ASSERT_EQ(swapped.size(), 1u);
  EXPECT_EQ(swapped[0].function_line(), 12u);
}

}  // namespace
}  // namespace heapstorm
