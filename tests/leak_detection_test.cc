// Leak verdicts on a labelled set of small modules run in real node: leaks of different
// shapes and rates (heap, a slow one of ~10 bytes per iteration, native Buffers,
// descriptors, timer handles) must be found in the right series, with the culprit named;
// non-leaks (bounded cache, garbage churn, sawtooth, warm-up then flat, WeakMap metadata,
// open-and-close) run ten times each must be `no_leak` every time.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "reports/leak_sentence.h"
#include "tests/test_support.h"
#include "worker/engine/engine.h"
#include "worker/engine/leak_detector.h"

namespace heapstorm {
namespace {

using testing_support::Runfile;
using testing_support::ScenarioFromYaml;

class LeakDetectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions options;
    options.scratch_dir = testing_support::TmpDir();
    auto engine = Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = engine->release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  // `module` in tests/fixtures/leaks, or in another folder of tests/fixtures when it names one.
  // `limits`: more of them, each after ", " (", old_space: 64Mi").
  static v1::Scenario ScenarioOf(const std::string& module, uint64_t iterations, uint64_t every,
                                 const std::string& limits = "") {
    const std::string path = module.find('/') == std::string::npos ? "leaks/" + module : module;
    return ScenarioFromYaml(absl::StrCat(R"(scenarios:
  - name: leak
    kind: script
    params: {module: tests/fixtures/)",
                                         path, R"(, iterations: )", iterations,
                                         R"(}
    leak_check: {iterations: )", iterations, every > 0 ? absl::StrCat(", checkpoint_every: ", every) : "", R"(}
    limits: {timeout: 10m)", limits, R"(}
)"));
  }

  static v1::RunResult Run(const std::string& module, uint64_t iterations, uint64_t every,
                           const std::string& limits = "") {
    RunRequest request;
    request.scenario = ScenarioOf(module, iterations, every, limits);
    absl::StatusOr<v1::RunResult> r = engine_->Run(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::RunResult();
  }

  // Like Run, with `stretch: false`: the check goes on no further than kRetentionMaxOverrun
  // budgets (nor watches a confirmation on), however cheap the module's iterations.
  static v1::RunResult RunWithin25Budgets(const std::string& module, uint64_t iterations) {
    RunRequest request;
    request.scenario = ScenarioOf(module, iterations, 0);
    request.scenario.mutable_leak_check()->set_stretch(false);
    absl::StatusOr<v1::RunResult> r = engine_->Run(request);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::RunResult();
  }

  // Runs a labelled corpus module (its first line says `// LEAK` or `// NO LEAK`) and
  // expects it to complete with that verdict.
  static v1::RunResult RunLabelled(const std::string& corpus, const std::string& module, uint64_t iterations) {
    std::ifstream in(Runfile("tests/fixtures/" + corpus + "/" + module));
    std::string label;
    std::getline(in, label);
    const bool leaks = absl::StartsWith(label, "// LEAK");
    EXPECT_TRUE(leaks || absl::StartsWith(label, "// NO LEAK")) << module << ": " << label;
    v1::RunResult r = Run(corpus + "/" + module, iterations, 0);
    EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << module << ": " << r.evidence().summary();
    EXPECT_EQ(r.leak().verdict(), leaks ? v1::LEAK_VERDICT_LEAK : v1::LEAK_VERDICT_NO_LEAK)
        << module << ": " << LeakSummarySentence(r) << "\n" << testing_support::RunTrace(r);
    return r;
  }

  // A run's allocation sites, for a failure's message: " function:line (POSITION, N B)".
  static std::string SitesText(const v1::RunResult& r) {
    std::string text;
    for (const v1::AllocationSite& site : r.leak().allocation_sites()) {
      absl::StrAppend(&text, " ", site.function(), ":", site.line(), " (", v1::AllocationPosition_Name(site.position()),
                      ", ", site.bytes(), " B)");
    }
    return text;
  }

  static const v1::LeakSeries* Series(const v1::RunResult& r, const std::string& name) {
    for (const v1::LeakSeries& s : r.leak().series()) {
      if (s.name() == name) return &s;
    }
    return nullptr;
  }

  static Engine* engine_;
};
Engine* LeakDetectionTest::engine_ = nullptr;

struct LeakCase {
  const char* module;
  const char* series;     // the series that must leak
  const char* culprit;    // a constructor the snapshot diff must name ("" for none)
  uint64_t iterations;
  uint64_t every;
};

TEST_F(LeakDetectionTest, FindsEveryLeakInItsSeries) {
  std::vector<LeakCase> cases = {
      {"objects.js", "heap_used", "Session", 4000, 20},
      {"closures.js", "heap_used", "(closure)", 4000, 20},
      {"slow.js", "heap_used", "", 20000, 100},
      {"buffers.js", "external", "", 4000, 20},
      {"descriptors.js", "descriptors", "device", 4000, 20},
      {"timers.js", "handles", "Timeout", 4000, 20},
  };
  for (const LeakCase& c : cases) {
    v1::RunResult r = Run(c.module, c.iterations, c.every);
    ASSERT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << c.module << ": " << r.evidence().summary();
    EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << c.module << ": " << LeakSummarySentence(r);
    const v1::LeakSeries* s = Series(r, c.series);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->verdict(), v1::LEAK_VERDICT_LEAK) << c.module << " " << c.series << ": " << LeakSummarySentence(r);
    EXPECT_GT(s->slope_low(), 0) << c.module;
    EXPECT_LT(s->p_value(), 0.01) << c.module;
    EXPECT_GT(s->detection_limit(), 0) << c.module;
    // Heap and native growth is a leak only once retention proved it; counts by their trend.
    EXPECT_EQ(s->evidence(), std::string(c.series) == "heap_used" || std::string(c.series) == "external"
                                 ? "retention"
                                 : "trend")
        << c.module;
    if (*c.culprit != '\0') {
      // The heap snapshot diff names a constructor; a descriptor or handle leak its kind.
      bool named = false;
      for (const v1::LeakCulprit& culprit : r.leak().culprits()) {
        named |= culprit.constructor().find(c.culprit) != std::string::npos && culprit.count() > 0;
      }
      EXPECT_TRUE(named) << c.module << ": the snapshot diff does not name " << c.culprit;
    }
  }
}

// A run that dies of the leaking resource before its warm-up is over (one descriptor per
// iteration, 64 allowed: dead at ~45) is a leak by exhaustion, read from the warm-up's
// doubling points: a steady leak's last interval holds half the rise, which is not one grab.
TEST_F(LeakDetectionTest, ALeakThatRunsOutDuringTheWarmUpIsALeak) {
  RunRequest request;
  request.scenario = ScenarioFromYaml(R"(scenarios:
  - name: leak
    kind: script
    params: {module: tests/fixtures/leaks/descriptors_fast.js, iterations: 2000}
    leak_check: {iterations: 2000}
    limits: {descriptors: 64, timeout: 10m}
)");
  absl::StatusOr<v1::RunResult> r = engine_->Run(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->outcome(), v1::OUTCOME_FD_EXHAUSTED) << r->evidence().summary();
  EXPECT_LT(r->units_reached(), 100u);
  EXPECT_EQ(r->leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(*r);
  EXPECT_EQ(r->leak().exhausted().finding(), v1::EXHAUSTION_FINDING_RAN_OUT) << LeakSummarySentence(*r);
  const v1::LeakSeries* s = Series(*r, "descriptors");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->evidence(), "exhaustion");
  EXPECT_GE(s->points(), 5u);
  EXPECT_NEAR(s->slope_per_iteration(), 1.0, 0.2);
}

// A confirmed heap leak names where its objects were allocated (the module's own file, by
// V8's sampling heap profiler) and how they are held (a retainer path from a GC root).
TEST_F(LeakDetectionTest, LeakNamesItsAllocationSiteAndRetainerPath) {
  v1::RunResult r = Run("objects.js", 4000, 20);
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  ASSERT_GT(r.leak().allocation_sites_size(), 0) << LeakSummarySentence(r);
  const v1::AllocationSite& site = r.leak().allocation_sites(0);
  EXPECT_NE(site.file().find("tests/fixtures/leaks/objects.js"), std::string::npos) << site.file();
  EXPECT_GT(site.line(), 0u);
  EXPECT_GT(site.bytes(), 0u);
  EXPECT_NE(r.leak().retainer_path().text().find("Session"), std::string::npos) << r.leak().retainer_path().text();
  EXPECT_TRUE(r.leak().retention().confirmed()) << r.leak().retention().note();
  EXPECT_LT(r.leak().retention().s1(), r.leak().retention().s2());
  EXPECT_GE(r.leak().retention().s3() - r.leak().retention().s2(),
            r.leak().retention().s2() - r.leak().retention().s1());
  // The allocation sampler saw the window's Sessions too (it counts V8's objects besides).
  EXPECT_GT(r.leak().retention().sampled_bytes_per_iteration(),
            0.25 * r.leak().retention().program_bytes_per_iteration());
}

// A leak of Array.prototype.map's results, made by priced(), which V8 optimized in setup()
// and inlined into its hot caller record(), which links them into a list. V8's allocation
// sampler, which the sites come from, missed the objects TurboFan allocates folded together,
// and it names an inlined function's samples after its caller's frame: record() was the
// only site, of all the window kept. A leak check runs node with neither folding nor
// inlining (Engine::LeakCheckNodeFlags): priced() makes ~3/4 of the bytes kept (its
// arrays; record() makes the list's nodes), and measured 56-72% of the sites' bytes. Its
// `.map()`, inlined into it, made them on the line of the literal it consumed (7), until
// array builtins were not inlined either: they are `map`'s, on the `.map(` line (8).
TEST_F(LeakDetectionTest, ObjectsOptimizedCodeAllocatesHaveTheirSite) {
  v1::RunResult r = Run("mapped_rows.js", 4000, 20);
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  uint64_t priced = 0;
  uint64_t all = 0;
  for (const v1::AllocationSite& site : r.leak().allocation_sites()) {
    all += site.bytes();
    if (site.function() == "priced" && site.position() != v1::ALLOCATION_POSITION_STORE && site.line() == 8 &&
        site.file().find("mapped_rows.js") != std::string::npos) {
      priced += site.bytes();
    }
  }
  EXPECT_GT(priced, all / 3) << "sites:" << SitesText(r);
}

// A leak made inside a package's code (under node_modules): the module subscribes to a
// package's bus on every iteration and never unsubscribes. The objects are the package's
// (its subscribe() makes them), but the line to act on is the module's call into it, as for
// node's own code: rxjs's Subscription.add was named, in its Subscription.js, for a module
// that subscribed to a Subject on every other request. The package is written here, at run
// time, into a node_modules folder beside the module.
TEST_F(LeakDetectionTest, ALeakMadeInAPackagesCodeIsNamedAtTheModulesCallIntoIt) {
  const std::filesystem::path dir =
      std::filesystem::path(testing_support::TmpDir()) / absl::StrCat("package-site-", getpid());
  std::filesystem::create_directories(dir / "node_modules" / "tinybus");
  ASSERT_TRUE(WriteFileAtomically((dir / "node_modules" / "tinybus" / "index.js").string(),
                                  "'use strict';\n"
                                  "class Bus {\n"
                                  "  constructor() { this.subscribers = []; this.count = 0; }\n"
                                  "  subscribe(topic) {\n"
                                  "    const entry = { topic, id: ++this.count, slots: [0, 0, 0, 0, 0, 0, 0, 0] };\n"
                                  "    this.subscribers.push(entry);\n"
                                  "    return entry;\n"
                                  "  }\n"
                                  "}\n"
                                  "module.exports = { Bus };\n")
                  .ok());
  const std::string module = (dir / "orders.js").string();
  ASSERT_TRUE(WriteFileAtomically(module,
                                  "'use strict';\n"
                                  "const { Bus } = require('tinybus');\n"
                                  "const bus = new Bus();\n"
                                  "const TOPICS = ['orders', 'refunds', 'stock', 'prices'];\n"
                                  "function watch(i) {\n"
                                  "  const topic = TOPICS[i & 3];\n"
                                  "  return bus.subscribe(topic);\n"
                                  "}\n"
                                  "exports.iteration = function (i) {\n"
                                  "  return watch(i).id;\n"
                                  "};\n")
                  .ok());
  RunRequest request;
  request.scenario = ScenarioFromYaml(absl::StrCat("scenarios:\n  - name: leak\n    kind: script\n    params: {module: ",
                                                   module, ", iterations: 2000}\n    leak_check: {iterations: 2000}\n"
                                                   "    limits: {timeout: 10m}\n"));
  absl::StatusOr<v1::RunResult> run = engine_->Run(request);
  ASSERT_TRUE(run.ok()) << run.status();
  const v1::RunResult& r = *run;
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  ASSERT_GT(r.leak().allocation_sites_size(), 0) << LeakSummarySentence(r);
  const v1::AllocationSite& site = r.leak().allocation_sites(0);
  EXPECT_EQ(site.file(), std::filesystem::canonical(module).string()) << "sites:" << SitesText(r);
  EXPECT_EQ(site.line(), 7u) << "the bus.subscribe( line; sites:" << SitesText(r);
  EXPECT_EQ(site.function(), "watch") << SitesText(r);
  for (const v1::AllocationSite& s : r.leak().allocation_sites()) {
    EXPECT_EQ(s.file().find("node_modules"), std::string::npos) << "sites:" << SitesText(r);
  }
  std::filesystem::remove_all(dir);
}

// A kept Buffer slice pins the 8 KiB pool slab it was cut from, and node makes that slab
// in whichever call runs its pool out (node:buffer createPool): decode() here, which keeps
// nothing, every iteration. Its samples are the pool's, not decode()'s: before, decode's
// line had as many of the sites' bytes as the kept slice's (21 KB against 19 KB, and 25
// against 15), and leak corpus pooled_slice_pin.js named its parser's line in 5 runs of 10.
TEST_F(LeakDetectionTest, APoolSlabIsNotTheSiteOfTheCallThatRanThePoolOut) {
  v1::RunResult r = Run("pool_slab_pin.js", 4000, 20);
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  uint64_t slice = 0;
  uint64_t decode = 0;
  for (const v1::AllocationSite& site : r.leak().allocation_sites()) {
    if (site.file().find("pool_slab_pin.js") == std::string::npos) continue;
    if (site.function() == "decode") decode += site.bytes();
    if (site.line() == 19 && site.position() != v1::ALLOCATION_POSITION_STORE) slice += site.bytes();
  }
  EXPECT_GT(slice, 0u) << "sites:" << SitesText(r);
  EXPECT_LT(3 * decode, slice) << "sites:" << SitesText(r);
}

// A heap leak confirmed by retention: the series that do not grow (its descriptors and
// handles) are `no leak`, judged on every point up to s3, not left "inconclusive" from the
// suspicion's points (19 at 2,000, one short of a `no leak`; a new user read a flat count
// as undecided beside each leak).
TEST_F(LeakDetectionTest, AConfirmedLeaksOtherSeriesAreDecided) {
  v1::RunResult r = Run("objects.js", 2000, 0);
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  ASSERT_TRUE(r.leak().retention().confirmed()) << r.leak().retention().note();
  int decided = 0;
  for (const v1::LeakSeries& s : r.leak().series()) {
    if (s.name() != "descriptors" && s.name() != "handles") continue;
    EXPECT_EQ(s.verdict(), v1::LEAK_VERDICT_NO_LEAK) << s.name() << ": " << SeriesNoteSentence(r.leak(), s);
    EXPECT_GT(s.detection_limit(), 0) << s.name();
    ++decided;
  }
  EXPECT_EQ(decided, 2);
}

// A retention check starts at the after-GC checkpoint after the one whose verdict raised
// the suspicion, however long the engine took to read it: in a leak check the driver waits
// for the engine's word on each such point ("seen N") before it goes on. When it did not
// wait, the check started there on an idle machine and one or more points later on a
// loaded one, and a leak that starts late could no longer fit its check from there:
// late_onset_leak.js at 2,000 was `inconclusive` in up to 4 runs of 10 beside other runs,
// never alone.
TEST_F(LeakDetectionTest, ARetentionCheckStartsOnePointAfterTheSuspicion) {
  for (const char* module : {"objects.js", "buffers.js"}) {
    // An engine thread slow to read each checkpoint (20 ms in the progress callback): the
    // driver of cheap iterations, not waiting, was many points on by the time a check was
    // asked for.
    RunRequest request;
    request.scenario = ScenarioOf(module, 2000, 0);
    request.on_checkpoint = [](const v1::Checkpoint&) { absl::SleepFor(absl::Milliseconds(20)); };
    absl::StatusOr<v1::RunResult> run = engine_->Run(request);
    ASSERT_TRUE(run.ok()) << run.status();
    const v1::RunResult& r = *run;
    ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << module << ": " << LeakSummarySentence(r);
    ASSERT_TRUE(r.leak().has_retention()) << module;
    const uint64_t s1 = r.leak().retention().s1();
    // The detector as the engine runs it, over the same points, up to s1.
    LeakDetector detector(ScenarioOf(module, 2000, 0).leak_check());
    uint64_t first_suspicion = 0, next_point = 0;
    for (const v1::Checkpoint& c : r.checkpoints()) {
      if (!c.after_gc() || c.units() > s1) continue;
      if (first_suspicion > 0 && next_point == 0) next_point = c.units();
      detector.Add(c);
      if (first_suspicion == 0 && detector.Evaluate().verdict() == v1::LEAK_VERDICT_LEAK) {
        first_suspicion = c.units();
      }
    }
    ASSERT_GT(first_suspicion, 0u) << module;
    ASSERT_LT(first_suspicion, 2000u) << module << ": suspected at the budget's end, where s1 is that point";
    EXPECT_EQ(next_point, s1) << module << ": the check started at " << s1 << ", the suspicion was raised at "
                              << first_suspicion;
  }
}

// The checkpoints do not depend on the budget: the same schedule at 2,000 and 10,000
// iterations (dense at first, then thinning out) until a run's points become its retention
// check's (from its s1 on: spaced by the check, whatever the budget), so a larger budget
// never thins the points before it; and each run's points reach its budget's end.
TEST_F(LeakDetectionTest, CheckpointScheduleDoesNotDependOnTheBudget) {
  auto units = [](const v1::RunResult& r) {
    std::vector<uint64_t> u;
    for (const v1::Checkpoint& c : r.checkpoints()) {
      if (c.after_gc()) u.push_back(c.units());
    }
    return u;
  };
  // Where a run's own schedule ends: its retention check's s1, else its budget.
  auto own_until = [](const v1::RunResult& r, uint64_t budget) {
    return r.leak().has_retention() && r.leak().retention().s1() > 0 ? r.leak().retention().s1() : budget;
  };
  const v1::RunResult small_run = Run("churn.js", 2000, 0);
  const v1::RunResult large_run = Run("churn.js", 10000, 0);
  const std::vector<uint64_t> small = units(small_run), large = units(large_run);
  ASSERT_GT(small.size(), 20u);
  // Raising the budget does not make the verdict worse: churn.js is no leak at both.
  EXPECT_EQ(small_run.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(small_run);
  EXPECT_EQ(large_run.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(large_run);
  // The warm-up, doubling up to warmup_iterations (100 by default), in both.
  const std::vector<uint64_t> warmup = {0, 1, 2, 4, 8, 16, 32, 64, 100};
  ASSERT_GT(large.size(), warmup.size());
  for (size_t i = 0; i < warmup.size(); ++i) {
    EXPECT_EQ(large[i], warmup[i]) << i;
    EXPECT_EQ(small[i], warmup[i]) << i;
  }
  // Up to where either run's own schedule ends, the larger budget has as many points as the
  // smaller (compared as a count, give or take two: the GC-time share may widen the spacing
  // of one run and not the other on a loaded machine).
  const uint64_t shared = std::min(own_until(small_run, 2000), own_until(large_run, 10000));
  auto before = [](const std::vector<uint64_t>& v, uint64_t end) {
    return std::count_if(v.begin(), v.end(), [end](uint64_t u) { return u < end; });
  };
  EXPECT_GT(before(large, shared), static_cast<long>(warmup.size())) << "no point between the warm-up and " << shared;
  EXPECT_GE(before(large, shared) + 2, before(small, shared)) << "the larger budget thinned the points before " << shared;
  // Thinning out: after the warm-up the gaps grow.
  std::vector<uint64_t> own;
  for (uint64_t u : large) {
    if (u < own_until(large_run, 10000)) own.push_back(u);
  }
  ASSERT_GT(own.size(), warmup.size() + 2);
  EXPECT_GT(own.back() - own[own.size() - 2], own[warmup.size()] - own[warmup.size() - 1]);
  // Each run's points reach its budget's end.
  EXPECT_GE(small.back(), 2000u);
  EXPECT_GE(large.back(), 10000u);
  // What the check cost beside the module's own time (gc.work_ms, the iterations between
  // the checkpoints): disjoint parts of the wall time.
  for (const v1::RunResult* r : {&small_run, &large_run}) {
    EXPECT_GT(r->gc().work_ms(), 0);
    EXPECT_LT(r->gc().work_ms() + r->gc().forced_gc_ms() + r->gc().snapshot_ms(), r->wall_ms())
        << r->gc().work_ms() << " + " << r->gc().forced_gc_ms() << " + " << r->gc().snapshot_ms();
  }
}

// Busy threads in this process, two for each CPU, for as long as it lives: a node process
// started meanwhile waits its turn for a CPU about two thirds of the time.
class CpuHogs {
 public:
  CpuHogs() {
    const unsigned n = 2 * std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        uint64_t x = 1;
        while (!stop_.load(std::memory_order_relaxed)) x = x * 6364136223846793005u + 1;
        sink_.fetch_xor(x, std::memory_order_relaxed);
      });
    }
  }
  ~CpuHogs() {
    stop_.store(true);
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sink_{0};
  std::vector<std::thread> threads_;
};

// The module's own time (gc.work_ms), which bounds how far a check goes on where iterations
// are cheap (CheapReach), does not count the waits for a CPU on a loaded machine: read as
// wall time, it stretched with the load, and a cache watched to ~160,000 iterations in a
// quiet run was watched only to ~42,000 in a loaded one, and read as a leak. spin.js
// spends ~50 microseconds of arithmetic per iteration; with busy threads on every CPU its
// wall time about triples, its own time does not.
TEST_F(LeakDetectionTest, TheModulesOwnTimeDoesNotCountWaitsForACpu) {
  const v1::RunResult quiet = Run("spin.js", 2000, 0);
  const v1::RunResult loaded = [] {
    CpuHogs hogs;
    return Run("spin.js", 2000, 0);
  }();
  for (const v1::RunResult* r : {&quiet, &loaded}) {
    ASSERT_EQ(r->outcome(), v1::OUTCOME_COMPLETED) << r->evidence().summary();
    EXPECT_EQ(r->leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(*r);
  }
  // Per iteration: the two runs need not reach the same count (a flat series at the
  // budget's bar is watched on, up to 25 budgets, in some runs and not in others).
  auto own_us = [](const v1::RunResult& r) { return 1000.0 * r.gc().work_ms() / r.units_reached(); };
  auto wall_us = [](const v1::RunResult& r) { return 1000.0 * r.wall_ms() / r.units_reached(); };
  RecordProperty("quiet_own_us_per_iteration", std::to_string(own_us(quiet)));
  RecordProperty("quiet_wall_us_per_iteration", std::to_string(wall_us(quiet)));
  RecordProperty("loaded_own_us_per_iteration", std::to_string(own_us(loaded)));
  RecordProperty("loaded_wall_us_per_iteration", std::to_string(wall_us(loaded)));
  const std::string both = absl::StrCat("quiet: ", quiet.gc().work_ms(), " ms of ", quiet.wall_ms(), " ms for ",
                                        quiet.units_reached(), " iterations; loaded: ", loaded.gc().work_ms(),
                                        " ms of ", loaded.wall_ms(), " ms for ", loaded.units_reached());
  ASSERT_GT(quiet.gc().work_ms(), 0) << both;
  EXPECT_LT(own_us(loaded), 1.5 * own_us(quiet)) << both;
  EXPECT_GT(own_us(loaded), own_us(quiet) / 1.5) << both;
}

TEST_F(LeakDetectionTest, SlowLeakRateIsMeasured) {
  v1::RunResult r = Run("slow.js", 20000, 100);
  const v1::LeakSeries* heap = Series(r, "heap_used");
  ASSERT_NE(heap, nullptr);
  // One {i} object (16 B) plus its slot in a growing array every 4 iterations: 4-20 B.
  EXPECT_GT(heap->slope_per_iteration(), 3.0);
  EXPECT_LT(heap->slope_per_iteration(), 25.0);
}

TEST_F(LeakDetectionTest, ObjectLeakRateAndProjection) {
  v1::RunResult r = Run("objects.js", 4000, 20);
  const v1::LeakSeries* heap = Series(r, "heap_used");
  ASSERT_NE(heap, nullptr);
  // A Session, its ~110-character string (a new flat string and a cons string over it),
  // and an array slot: about 150-400 B.
  EXPECT_GT(heap->slope_per_iteration(), 120.0);
  EXPECT_LT(heap->slope_per_iteration(), 450.0);
  EXPECT_GT(r.leak().iterations_per_second(), 0);
  EXPECT_GT(r.leak().seconds_to_old_space_limit(), 0);
}

// Tables that hold numbers (tests/fixtures/table_corpus, written apart from the detector),
// every module at 2,000: a leaking Set of ids keeps no object the snapshots can see, only
// its hash table, which grows by doubling; a Set of the last 5,000 ids steps up the same
// way, once more after it is full (deleted entries fill its table), and then stays. Both
// were `no leak` ("objects allocated after iteration 898 were freed") before tables
// counted (2026-12-02). The tables' owners are counted at s3, halfway on and at the check's
// end: a leak's entries go on growing, a bounded one's stop. By capacity alone, a slow
// leak (a number every 4th iteration) whose s3 fell just after its table's step did not
// double again within the cap of 25 budgets (`inconclusive`), and an LRU of 8,000 numbers
// still filling at s3 doubled like a leak (`leak` in 2 of 5) (2026-12-03). A leak's
// retainer path leads to the Set, and its rate is its table's rise, not the flat median
// of a step function.
TEST_F(LeakDetectionTest, ATableOfNumbersLeaksOnlyIfItsEntriesGoOnGrowing) {
  for (const std::string m : {"leak_set_numbers.js", "leak_slow_set.js", "leak_map_num_to_num.js",
                              "leak_map_reset_never.js", "leak_set_async.js", "bounded_set_window.js",
                              "lru_numbers_8000.js", "map_reset_every.js", "dict_bounded_delete.js",
                              "fixed_keyspace_counts.js"}) {
    const v1::RunResult r = RunLabelled("table_corpus", m, 2000);
    const v1::LeakRetention& t = r.leak().retention();
    if (m == "leak_set_numbers.js" || m == "leak_slow_set.js") {
      EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_TABLE_ENTRIES_GREW) << m << ": " << LeakSummarySentence(r);
      EXPECT_GT(t.table_growth_bytes(), 0u);
      EXPECT_GT(t.table_checked_to(), t.s3());
      EXPECT_GT(t.table_entries_at_s3(), 0u);
      EXPECT_GT(t.table_entries_checked(), t.table_entries_at_s3());
      const v1::LeakSeries* heap = Series(r, "heap_used");
      ASSERT_NE(heap, nullptr);
      EXPECT_GT(heap->slope_per_iteration(), 2.0) << m << ": " << LeakSummarySentence(r);
      ASSERT_GT(r.leak().culprits_size(), 0) << m;
      EXPECT_EQ(r.leak().culprits(0).constructor(), "Set") << m;
    }
    if (m == "leak_set_numbers.js") {
      EXPECT_NE(r.leak().retainer_path().text().find("handledRequestIds (Set)"), std::string::npos)
          << r.leak().retainer_path().text();
      ASSERT_GT(r.leak().allocation_sites_size(), 0);
      EXPECT_EQ(r.leak().allocation_sites(0).line(), 9u) << "the .add( line";
    }
    // The LRU: its table stepped in the check, its entries stopped. Where the points fall
    // depends on the forced GCs' share of the time (the schedule's spacing): under the
    // AddressSanitizer beside a build on this 2-core machine, a check suspected at 2,509
    // (not ~900) read a later part past the table's steps and found its window's objects
    // freed by 24,896. No leak either way; a check from where the fill is suspected at its
    // default spacing has its table step in it.
    if (m == "lru_numbers_8000.js") {
      EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << m << ": " << LeakSummarySentence(r);
      if (t.s1() < 2000 || t.finding() != v1::RETENTION_FINDING_FREED) {
        EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED) << m << ": " << LeakSummarySentence(r);
        EXPECT_EQ(t.table_entries_checked(), 8000u) << LeakSummarySentence(r);
      }
    }
    // The window of the last 5,000 ids: its table takes its last step near iteration 1,500,
    // at or just before the check's first snapshot, depending on where the points fall. In
    // the check, its entries stopped; before it, the window holds only V8's own growth
    // (code compiled meanwhile). Where the points fall also depends on the forced GCs'
    // share of the time (the schedule's spacing): beside the whole suite, a check suspected
    // at 3,527 found its window's objects freed by 35,072, the table flat over its later
    // part. Either way no leak, and said as what it was.
    if (m == "bounded_set_window.js") {
      EXPECT_TRUE(t.finding() == v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED ||
                  t.finding() == v1::RETENTION_FINDING_V8_INTERNAL || t.finding() == v1::RETENTION_FINDING_FREED)
          << m << ": " << LeakSummarySentence(r);
      if (t.finding() == v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED) {
        EXPECT_EQ(t.table_entries_checked(), 5000u) << LeakSummarySentence(r);
      }
    }
  }
}

// A leak that starts after an early fill-up was dropped: a warm-up cache grows to 1,500
// iterations and is freed, a record per iteration is kept from 3,000 on. The first check
// tests the fill-up and finds its window freed while the heap goes on growing, ~90
// B/iteration; a second check tests that growth. Both budgets were `no leak` ("objects
// allocated after iteration 898 were freed") before (2026-12-03). At 2,000 its iterations
// are cheap enough for the second check to reach 8 s2 (CheapReach). Held within 25
// budgets (`stretch: false`), it cannot: it was `inconclusive` there until it decided at
// the cap (RetentionDecidesAt: its window outlived s2 by 12.5 budgets and 2 s2).
TEST_F(LeakDetectionTest, ALeakBehindAFreedFillUpIsCheckedAgain) {
  v1::RunResult r = Run("flush_then_leak.js", 10000, 0);
  ASSERT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << r.evidence().summary();
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  EXPECT_EQ(r.leak().retention().finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(r);
  EXPECT_GE(r.leak().retention().s1(), 3000u) << "the second check's window lies in the leak";
  // Every check the run made, in order: the first one's window, in the fill-up, was freed;
  // the second confirmed the leak, and where its iterations were cheap enough, its
  // confirmation was watched on (StretchedReach) and confirmed again, and once more where
  // half of the check's limit ended that watch (WatchTheOtherHalf). The last is the
  // result's retention.
  ASSERT_GE(r.leak().checks_size(), 2) << LeakSummarySentence(r);
  ASSERT_LE(r.leak().checks_size(), 4) << LeakSummarySentence(r);
  EXPECT_EQ(r.leak().checks(0).finding(), v1::RETENTION_FINDING_FREED) << r.leak().checks(0).note();
  EXPECT_LT(r.leak().checks(0).s3(), r.leak().checks(1).s1() + 1);
  EXPECT_EQ(r.leak().checks(1).s1(), r.leak().retention().s1());
  EXPECT_EQ(r.leak().checks(1).finding(), v1::RETENTION_FINDING_CONFIRMED);
  for (int i = 2; i < r.leak().checks_size(); ++i) {
    EXPECT_EQ(r.leak().checks(i).stretched_from(), r.leak().checks(1).s3());
    EXPECT_EQ(r.leak().checks(i).finding(), v1::RETENTION_FINDING_CONFIRMED) << r.leak().checks(i).note();
  }
  v1::RunResult filled = r;
  FillLeakSentences(&filled);
  EXPECT_TRUE(absl::StartsWith(filled.leak().checks(0).note(), "bounded: ")) << filled.leak().checks(0).note();
  const v1::LeakSeries* heap = Series(r, "heap_used");
  ASSERT_NE(heap, nullptr);
  EXPECT_NEAR(heap->slope_per_iteration(), 90, 30);
  EXPECT_NE(r.leak().retainer_path().text().find("kept (Array)"), std::string::npos)
      << r.leak().retainer_path().text();
  // Two object literals in iteration(): the kept record's keys name line 10, the warm-up's
  // line 8 (with a `new Array` beside it, which won by kind alone).
  ASSERT_GT(r.leak().allocation_sites_size(), 0);
  EXPECT_EQ(r.leak().allocation_sites(0).line(), 10u) << "the kept.push( line";
  const v1::RunResult cheap = Run("flush_then_leak.js", 2000, 0);
  ASSERT_EQ(cheap.outcome(), v1::OUTCOME_COMPLETED) << cheap.evidence().summary();
  EXPECT_EQ(cheap.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(cheap);
  EXPECT_EQ(cheap.leak().retention().finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(cheap);
  EXPECT_GE(cheap.leak().retention().s1(), 3000u) << LeakSummarySentence(cheap);
  EXPECT_GE(cheap.leak().retention().s3(), kRetentionReach * cheap.leak().retention().s2())
      << "past 25 budgets, to its full reach: " << LeakSummarySentence(cheap);
  v1::RunResult short_budget = RunWithin25Budgets("flush_then_leak.js", 2000);
  ASSERT_EQ(short_budget.outcome(), v1::OUTCOME_COMPLETED) << short_budget.evidence().summary();
  EXPECT_EQ(short_budget.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(short_budget);
  // The second check was made, from the first one's s3 (~8,000), not at the cap, and
  // decided where the cap cut it short of 8 s2.
  const v1::LeakRetention& second = short_budget.leak().retention();
  EXPECT_GE(second.s1(), 3000u) << LeakSummarySentence(short_budget);
  EXPECT_LT(second.s1(), 20000u) << LeakSummarySentence(short_budget);
  EXPECT_EQ(second.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(short_budget);
  EXPECT_EQ(second.s3(), kRetentionMaxOverrun * 2000) << LeakSummarySentence(short_budget);
  EXPECT_LT(second.s3(), kRetentionReach * second.s2()) << LeakSummarySentence(short_budget);
  EXPECT_EQ(second.reach(), RetentionDecidesAt(second.s2(), 2000));
}

// A check that finds its window freed starts the next one at once (CheckRegrowth), and its
// three snapshots (MBs each) are deleted all the same. They were not: the next check's start
// cleared the list their deletion read, and they stayed in the run's folder until the run
// ended, and for good where run folders are kept (`heapstorm run --keep`).
TEST_F(LeakDetectionTest, ACheckThatStartsTheNextStillDeletesItsSnapshots) {
  EngineOptions options;
  options.scratch_dir = absl::StrCat(testing_support::TmpDir(), "/kept_run_dirs");
  options.keep_run_dirs = true;
  ASSERT_TRUE(MakeDirs(options.scratch_dir).ok());
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  RunRequest request;
  request.scenario = ScenarioOf("flush_then_leak.js", 2000, 0);
  absl::StatusOr<v1::RunResult> r = (*engine)->Run(request);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->leak().checks_size(), 2) << LeakSummarySentence(*r);
  EXPECT_EQ(r->leak().checks(0).finding(), v1::RETENTION_FINDING_FREED) << LeakSummarySentence(*r);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(options.scratch_dir)) {
    if (entry.path().extension() == ".heapsnapshot") left.push_back(entry.path().string());
  }
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, ", ");
}

// A webhook queue that takes in one delivery per iteration and sends one, where one attempt
// in four fails and goes to the back with no cap on its attempts (a linked list, written by
// a helper from a description of the shape alone): ~0.25 deliveries an iteration stay behind.
// Every delivery is sent in the end, later and later, so no window's objects are alive 8 s2
// later: each check finds its window freed while the heap grows on. Its second check,
// whose window starts where the first one ended, finds the same and is read as turnover:
// the deliveries allocated after its window, alive at its s3, carry the growth. They are
// the culprits: the literal on the labelled line, held by the list. Its twin, whose
// retries stop after 3 attempts, is level: `no_leak`.
TEST_F(LeakDetectionTest, AQueueThatTakesInMoreThanItReleasesIsALeakByTurnover) {
  const v1::RunResult r = RunLabelled("backlog_corpus", "03_webhook_dispatcher_uncapped_retry.js", 2000);
  const v1::LeakRetention& t = r.leak().retention();
  ASSERT_EQ(t.finding(), v1::RETENTION_FINDING_TURNOVER) << LeakSummarySentence(r) << "\n"
                                                         << testing_support::RunTrace(r);
  ASSERT_GE(r.leak().checks_size(), 2);
  EXPECT_GE(t.s1(), t.turnover_freed_s3());
  EXPECT_GE(t.young_bytes_per_iteration(), 0.5 * t.slope_after_per_iteration()) << LeakSummarySentence(r);
  EXPECT_NE(LeakSummarySentence(r).find("confirmed by turnover"), std::string::npos) << LeakSummarySentence(r);
  ASSERT_GT(r.leak().allocation_sites_size(), 0) << LeakSummarySentence(r);
  EXPECT_NE(r.leak().allocation_sites(0).file().find("03_webhook_dispatcher_uncapped_retry.js"), std::string::npos);
  EXPECT_EQ(r.leak().allocation_sites(0).line(), 58u) << SitesText(r);
  EXPECT_NE(r.leak().retainer_path().text().find("queue (DeliveryQueue)"), std::string::npos)
      << r.leak().retainer_path().text();
  const v1::RunResult twin = RunLabelled("backlog_corpus", "04_sms_gateway_capped_retry.mjs", 2000);
  EXPECT_NE(twin.leak().retention().finding(), v1::RETENTION_FINDING_TURNOVER) << LeakSummarySentence(twin);
  // Found bounded by a freed window, its `no leak` states the growth past that window that
  // another check would have tested, not the trend's limit alone.
  const v1::LeakRetention& last = twin.leak().retention();
  if (twin.leak().summary_kind() == v1::LEAK_SUMMARY_KIND_RETENTION_BOUNDED &&
      last.finding() == v1::RETENTION_FINDING_FREED) {
    const double bar = RegrowthBar(last.s1(), std::max(last.s3(), last.regrowth_checked_to()));
    EXPECT_GE(twin.leak().series(0).detection_limit(), bar - 1e-9) << LeakSummarySentence(twin);
  }
}

// A slower backlog (a helper's, from a description of the shape alone): a search indexer
// that indexes one update per tick and skips every tenth tick, ~24 B/iteration of updates
// behind, each indexed in the end. Its first check's window is freed (or read as V8's own
// growth: code compiled meanwhile) while the heap grows on at about RegrowthBar over that
// check, just under it in half the runs: they were `no_leak` at 2,000, stating a detection
// limit of 1.4 B/iteration. The growth is watched on (WatchRegrowth) to where it clears the
// bar, and the next check finds it by turnover, its culprit the update literal.
TEST_F(LeakDetectionTest, ASlowBacklogPastAFreedWindowIsWatchedOnAndFound) {
  const v1::RunResult r = RunLabelled("backlog_corpus", "07_search_indexer_skipped_ticks.js", 2000);
  ASSERT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r) << "\n"
                                                       << testing_support::RunTrace(r);
  const v1::LeakRetention& t = r.leak().retention();
  EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_TURNOVER) << LeakSummarySentence(r);
  ASSERT_GE(r.leak().checks_size(), 2);
  const v1::LeakRetention& first = r.leak().checks(0);
  // Watched on where its growth was under the bar; the next check starts at the watch's end.
  if (first.slope_after_per_iteration() < RegrowthBar(first.s1(), first.s3())) {
    EXPECT_GE(first.regrowth_checked_to(), kRegrowthWatchLeast * first.s3()) << testing_support::RunTrace(r);
    EXPECT_GE(r.leak().checks(1).s1(), first.regrowth_checked_to()) << testing_support::RunTrace(r);
  }
  ASSERT_GT(r.leak().allocation_sites_size(), 0) << LeakSummarySentence(r);
  EXPECT_EQ(r.leak().allocation_sites(0).line(), 66u) << SitesText(r);
}

// Two modules a helper session wrote from a description of their shapes alone: a Map
// interning strings drawn at random from 5,000 (it keeps all it took in, like a leak, but
// fills ever more slowly, full by ~30,000) and Buffers of 256 B kept in an array. The pool
// is watched on to 4 s3 (SlowedSinceItsWindow) and is bounded there. Before, it was a
// `leak` at 2,000 and 10,000 (4 of 4 runs). Where its Map's table steps in the later part
// of [s2, s3], the check is carried by the table instead, and its owner's entries decide:
// bounded too (CI, 2026-12-03). The Buffers' check is on their data's series, which only
// their data confirms: 256 B/iteration against a growth of 256, not slowed, a leak at once
// (their heap objects counted too read as slowed, and the Buffers were watched to 4 s3).
TEST_F(LeakDetectionTest, AGrowthThatSlowsIsWatchedOnBeforeItIsALeak) {
  for (const uint64_t budget : {2000u, 10000u}) {
    const v1::RunResult pool = RunLabelled("leaks", "intern_pool.mjs", budget);
    const v1::LeakRetention& t = pool.leak().retention();
    if (t.finding() == v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED) continue;
    EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_SLOWED) << budget << ": " << LeakSummarySentence(pool);
    EXPECT_EQ(t.slowing_checked_to(), 4 * t.s3()) << LeakSummarySentence(pool);
    EXPECT_LT(t.slope_checked_per_iteration(), 0.5 * t.slope_after_per_iteration()) << LeakSummarySentence(pool);
    EXPECT_NE(LeakSummarySentence(pool).find("fills ever more slowly"), std::string::npos) << LeakSummarySentence(pool);
  }
  const v1::RunResult kept = RunLabelled("leaks", "buffer_hoard.mjs", 2000);
  const v1::LeakRetention& t = kept.leak().retention();
  EXPECT_EQ(kept.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(kept);
  EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(kept);
  EXPECT_EQ(t.slowing_checked_to(), 0u) << LeakSummarySentence(kept);
  EXPECT_NEAR(t.program_bytes_per_iteration(), 256, 26) << LeakSummarySentence(kept);
  ASSERT_GT(kept.leak().allocation_sites_size(), 0);
  EXPECT_EQ(kept.leak().allocation_sites(0).line(), 10u) << "the Buffer.alloc( line";
  // The path to a kept Buffer reaches the module's variable, and never through the harness:
  // before, the driver held the ES module's iteration() itself, and the path went "sampling
  // (Object) → iteration (Object) → fn ((closure) iteration) → context → kept".
  const std::string& path = kept.leak().retainer_path().text();
  EXPECT_NE(path.find("kept (Array)"), std::string::npos) << path;
  EXPECT_EQ(path.find("sampling (Object)"), std::string::npos) << path;
}

// Caches whose slots are made at their size (tests/fixtures/store_corpus, written apart by a
// helper session), at the default budget of 2,000: still filling at s3 = 8,784, so their
// window's objects are alive there as a leak's are, and the check goes on past where the
// array is full and one more turn of its slots (PlanStoreWatch). Before, the LRU of 12,000
// was `leak` "confirmed by retention up to iteration 8784", as npm lru-cache was for a new
// user. A Map of metadata beside an LRU of 15,000 keeps growing there: a leak, named by the
// metadata's line and rated by its growth past the full array. An LRU of 25,000 is full
// only past 25 budgets: its iterations are cheap enough to go on there (CheapReach), and it
// is bounded; held within 25 budgets (`stretch: false`), undecided. A store of 2,000,000
// slots would pass the old space before it is full: the leak stands as confirmed.
TEST_F(LeakDetectionTest, ACacheWhoseSlotsAreMadeAtItsSizeIsWatchedUntilItIsFull) {
  const v1::RunResult lru = Run("store_corpus/lru_slots_12k.js", 2000, 0);
  const v1::LeakRetention& t = lru.leak().retention();
  EXPECT_EQ(lru.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(lru);
  EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_STORE_FILLED) << LeakSummarySentence(lru);
  EXPECT_EQ(t.store_slots(), 12000u);
  EXPECT_NEAR(static_cast<double>(t.store_full_at()), 12000, 600) << "full at its rate of filling: one slot an iteration";
  EXPECT_GE(t.slowing_checked_to(), t.store_settled_at() + t.store_settled_at() / 4);
  EXPECT_GT(lru.units_reached(), t.store_settled_at());
  EXPECT_NE(LeakSummarySentence(lru).find("a structure of a fixed size"), std::string::npos) << LeakSummarySentence(lru);

  const v1::RunResult beside = Run("store_corpus/lru_meta_map_15k.js", 2000, 0);
  const v1::LeakRetention& b = beside.leak().retention();
  EXPECT_EQ(beside.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(beside);
  EXPECT_EQ(b.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(beside);
  EXPECT_EQ(b.store_slots(), 15000u);
  EXPECT_GT(b.slowing_checked_to(), b.store_settled_at()) << LeakSummarySentence(beside);
  ASSERT_GT(beside.leak().allocation_sites_size(), 0);
  EXPECT_EQ(beside.leak().allocation_sites(0).line(), 57u) << "the metadata's line, not the cache's records' (51)";
  const v1::LeakSeries* heap = Series(beside, "heap_used");
  ASSERT_NE(heap, nullptr);
  // Labelled 81 B/iteration (80 between its Map's doublings, ~99 on a long run's average);
  // over [s1, s3] the cache's own records made it ~400.
  EXPECT_GT(heap->slope_per_iteration(), 40) << LeakSummarySentence(beside);
  EXPECT_LT(heap->slope_per_iteration(), 200) << LeakSummarySentence(beside);

  const v1::RunResult cheap = Run("store_corpus/lru_small_values_25k.js", 2000, 0);
  EXPECT_EQ(cheap.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(cheap);
  EXPECT_EQ(cheap.leak().retention().finding(), v1::RETENTION_FINDING_STORE_FILLED) << LeakSummarySentence(cheap);
  EXPECT_GT(cheap.units_reached(), kRetentionMaxOverrun * 2000) << LeakSummarySentence(cheap);
  const v1::RunResult big = RunWithin25Budgets("store_corpus/lru_small_values_25k.js", 2000);
  EXPECT_EQ(big.leak().verdict(), v1::LEAK_VERDICT_INCONCLUSIVE) << LeakSummarySentence(big);
  EXPECT_EQ(big.leak().retention().finding(), v1::RETENTION_FINDING_STORE_FILLING) << LeakSummarySentence(big);
  EXPECT_EQ(big.leak().retention().store_slots(), 25000u);
  EXPECT_GT(big.leak().more_iterations_needed(), 0u);
  EXPECT_NE(LeakSummarySentence(big).find("could not go on to"), std::string::npos) << LeakSummarySentence(big);

  const v1::RunResult huge = Run("store_corpus/prealloc_2m_slots.js", 2000, 0, ", old_space: 64Mi");
  EXPECT_EQ(huge.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(huge);
  EXPECT_EQ(huge.leak().retention().store_slots(), 2000000u);
  EXPECT_EQ(huge.leak().retention().slowing_checked_to(), 0u) << "not watched: " << LeakSummarySentence(huge);
  EXPECT_NE(LeakSummarySentence(huge).find("past the memory the limits allow"), std::string::npos)
      << LeakSummarySentence(huge);
}

// A cache bounded only by its code (a Map used as an LRU of 12,000 keys, one new key per
// iteration) keeps every object of its window until ~13,100: at the default budget's s3
// (8,784) it was a `leak` "confirmed by retention", in every run. Its iterations cost
// microseconds, so the confirmation is watched on to a fourth snapshot, which stands for s3:
// the window is gone there. With `stretch: false` the check ends at its s3, as it did.
TEST_F(LeakDetectionTest, ACacheBoundedOnlyInItsCodeIsWatchedOnWhereItsIterationsAreCheap) {
  const v1::RunResult r = Run("leaks/map_lru_12k.js", 2000, 0);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << r.evidence().summary();
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(r);
  ASSERT_GE(r.leak().checks_size(), 2) << LeakSummarySentence(r);
  const v1::LeakRetention& first = r.leak().checks(0);
  EXPECT_EQ(first.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(r);
  EXPECT_LT(first.s3(), 12000u);
  EXPECT_EQ(first.stretched_from(), 0u);
  const v1::LeakRetention& watched = r.leak().checks(1);
  EXPECT_EQ(watched.s1(), first.s1());
  EXPECT_EQ(watched.s2(), first.s2());
  EXPECT_EQ(watched.stretched_from(), first.s3());
  EXPECT_GT(watched.s3(), 13100u) << "past where the window is evicted";
  EXPECT_FALSE(watched.confirmed()) << LeakSummarySentence(r);

  const v1::RunResult ended = RunWithin25Budgets("leaks/map_lru_12k.js", 2000);
  EXPECT_EQ(ended.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(ended);
  EXPECT_EQ(ended.leak().checks_size(), 1) << LeakSummarySentence(ended);
  EXPECT_EQ(ended.units_reached(), ended.leak().retention().s3());
}

// A leak whose process dies while its confirmation is watched on keeps that confirmation:
// objects_dies.js throws at 15,000, past its s3 (8,784 at a 2,000 budget), before the
// fourth snapshot. The run went on past s3 only for the watch.
// A leak beside a bounded structure whose window is still alive at s3: a Map LRU of 10,000
// values of ~1 KB (line 9) and a small record kept per iteration (line 11). At 2,000 the
// check's s3 (8,784) comes before the LRU is full: the window's values are alive there and
// the confirmation is watched on (StretchedReach) to where they are gone. The sites are
// read there too: read at s3, the LRU's values came first, though only the records were
// left of the window at the end.
TEST_F(LeakDetectionTest, AConfirmationWatchedOnNamesWhatIsAliveAtItsEnd) {
  const v1::RunResult r = Run("lru_beside_leak.js", 2000, 0);
  ASSERT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << r.evidence().summary();
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  // At s3, then at the watch's end, once more where half of the check's limit ended that
  // watch (WatchTheOtherHalf), and where a watch's later part holds a knee
  // (WatchPastTheKnee): the last reading decides.
  ASSERT_GE(r.leak().checks_size(), 2) << LeakSummarySentence(r);
  ASSERT_LE(r.leak().checks_size(), 4) << LeakSummarySentence(r);
  const v1::LeakRetention& first = r.leak().checks(0);
  const v1::LeakRetention& end = r.leak().checks(r.leak().checks_size() - 1);
  EXPECT_EQ(first.finding(), v1::RETENTION_FINDING_CONFIRMED) << first.note();
  EXPECT_EQ(end.stretched_from(), first.s3());
  // Confirmed again at the watch's end: by the window's objects still alive there
  // (CONFIRMED), or by the entries of the array that keeps them (TABLE_ENTRIES_GREW), as
  // the snapshot at s4 finds that array's backing store stepped.
  EXPECT_TRUE(end.confirmed()) << end.note();
  const v1::RetentionFinding watched = end.finding();
  EXPECT_TRUE(watched == v1::RETENTION_FINDING_CONFIRMED || watched == v1::RETENTION_FINDING_TABLE_ENTRIES_GREW)
      << v1::RetentionFinding_Name(watched) << ": " << end.note();
  // What the sampler saw of the window: the values and the records at s3, the records alone
  // at the end, read again there (a few samples stand for them, so their figure is rough:
  // 240 and 479 B/iteration at s4 against 802 and 926 at s3 in two runs).
  EXPECT_LT(end.sampled_bytes_per_iteration(), first.sampled_bytes_per_iteration())
      << end.sampled_bytes_per_iteration() << " vs " << first.sampled_bytes_per_iteration();
  ASSERT_GT(r.leak().allocation_sites_size(), 0);
  EXPECT_EQ(r.leak().allocation_sites(0).line(), 11u) << "the kept record's line, not the LRU's values' (9)";
  for (const v1::AllocationSite& site : r.leak().allocation_sites()) {
    EXPECT_NE(site.line(), 9u) << "the window's values were evicted before the end";
  }
}

TEST_F(LeakDetectionTest, ALeakThatDiesWhileItsConfirmationIsWatchedOnStaysALeak) {
  const v1::RunResult r = Run("leaks/objects_dies.js", 2000, 0);
  ASSERT_EQ(r.outcome(), v1::OUTCOME_SCRIPT_ERROR) << r.evidence().summary();
  EXPECT_EQ(r.units_reached(), 15000u);
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  const v1::LeakRetention& t = r.leak().retention();
  EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(r);
  EXPECT_LT(t.s3(), 15000u) << "the watch went on past s3: " << LeakSummarySentence(r);
  EXPECT_EQ(t.stretched_from(), 0u);
  ASSERT_GT(r.leak().allocation_sites_size(), 0);
  EXPECT_TRUE(absl::EndsWith(r.leak().allocation_sites(0).file(), "/objects.js")) << r.leak().allocation_sites(0).file();
}

// The same Buffers (buffer_hoard_dies.mjs calls buffer_hoard.mjs), from a module that throws
// at iteration 20,000: past s3 (8,784 at a budget of 2,000), before the watch's end (4 s3).
// The run is a script error, and its leak stays the one confirmed at s3, its watch not
// finished (slowing_checked_to unset); without the watch's held result (RunMonitor::Watch),
// the verdict is `inconclusive`, with no site.
TEST_F(LeakDetectionTest, AWatchCutShortKeepsItsConfirmedLeak) {
  const v1::RunResult r = Run("leaks/buffer_hoard_dies.mjs", 2000, 0);
  ASSERT_EQ(r.outcome(), v1::OUTCOME_SCRIPT_ERROR) << r.evidence().summary();
  EXPECT_EQ(r.units_reached(), 20000u);
  const v1::LeakRetention& t = r.leak().retention();
  ASSERT_LT(t.s3(), 20000u) << "the module must die within the watch: " << LeakSummarySentence(r);
  ASSERT_GT(4 * t.s3(), 20000u) << LeakSummarySentence(r);
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(r);
  EXPECT_EQ(t.finding(), v1::RETENTION_FINDING_CONFIRMED) << LeakSummarySentence(r);
  EXPECT_TRUE(t.confirmed());
  EXPECT_EQ(t.slowing_checked_to(), 0u) << "cut short: " << LeakSummarySentence(r);
  EXPECT_EQ(LeakSummarySentence(r).find("kept growing"), std::string::npos) << LeakSummarySentence(r);
  ASSERT_GT(r.leak().allocation_sites_size(), 0);
  EXPECT_TRUE(absl::EndsWith(r.leak().allocation_sites(0).file(), "/buffer_hoard.mjs")) << r.leak().allocation_sites(0).file();
  EXPECT_EQ(r.leak().allocation_sites(0).line(), 10u) << "the Buffer.alloc( line";
}

// The phase corpus (tests/fixtures/phase_corpus, written by a helper session that never saw
// this code): memory that changes partway through the run. Six leaks, three of them behind
// a fill-up of 2-8 KiB per iteration that is dropped before the leak starts, and four
// bounded modules (a cache resized at 3,000, phases that clear their Map). At 10,000 each
// must get its label; all three dropped fill-ups were `no leak` at every budget before
// (2026-12-03).
TEST_F(LeakDetectionTest, ThePhaseCorpusGetsItsLabelsAt10000) {
  for (const std::string m : {"batch_import_leak.js", "preload_dropped_leak.js", "index_rebuild_leak.js",
                              "tracing_flag_leak.js", "slow_retry_leak.js", "late_listener_leak.js",
                              "cache_resize_bounded.js", "warmup_then_churn.js", "ring_buffer_phase.js",
                              "per_phase_map.js"}) {
    RunLabelled("phase_corpus", m, 10000);
  }
}

// A value replaced by a bigger one every iteration: a log string appended to (flattened as
// it is searched) and a Buffer grown with Buffer.concat. Both were `no leak` ("objects
// allocated after iteration 898 were freed"; the Buffer behind a bounded heap suspicion)
// before (2026-12-02). The Buffer's data is not the heap's: the first check tests heap_used
// and finds it bounded, a second one tests the native series.
TEST_F(LeakDetectionTest, AValueReplacedByABiggerOneLeaks) {
  v1::RunResult log = Run("appended_log.js", 2000, 0);
  ASSERT_EQ(log.outcome(), v1::OUTCOME_COMPLETED) << log.evidence().summary();
  EXPECT_EQ(log.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(log);
  EXPECT_NE(log.leak().retainer_path().text().find("log ((string))"), std::string::npos)
      << log.leak().retainer_path().text();
  v1::RunResult buffer = Run("buffer_concat.js", 10000, 0);
  ASSERT_EQ(buffer.outcome(), v1::OUTCOME_COMPLETED) << buffer.evidence().summary();
  EXPECT_EQ(buffer.leak().verdict(), v1::LEAK_VERDICT_LEAK) << LeakSummarySentence(buffer);
  // Its data grows by 'event N;', ~12 B per iteration, and the native series say so. After
  // one forced gc() they read the ArrayBuffers not yet swept as well (286 B/iteration, from
  // 1.2 to 30 MB and back between points); the minor GC after it ends that sweep. Whether
  // a native series is itself labelled `leak` is at its limit here: the minimum effect when
  // the check is suspected (16 KiB over ~1,500 iterations watched) is 10-11 B/iteration, and
  // 3 of 8 runs read the series `inconclusive` at 11.1 beside a confirmed leak.
  const v1::LeakSeries* external = Series(buffer, "external");
  const v1::LeakSeries* array_buffers = Series(buffer, "array_buffers");
  ASSERT_TRUE(external != nullptr && array_buffers != nullptr);
  for (const v1::LeakSeries* native : {external, array_buffers}) {
    EXPECT_NEAR(native->slope_per_iteration(), 12, 3) << native->name() << ": " << LeakSummarySentence(buffer);
    EXPECT_GT(native->slope_low(), 6) << native->name() << ": " << LeakSummarySentence(buffer);
  }
}

// A synchronous module that leaves I/O to the event loop (an async logger's writes, as pino's
// destination does) gets it done while the load runs: the ramp gives the loop a turn when a
// request is in flight. Turned only at checkpoints, which a leak check spaces out (up to
// ~55,000 iterations apart), the queue of unwritten lines grew with the spacing and read as a
// leak confirmed by retention (186 B/iteration at 10,000; `inconclusive` at 2,000).
TEST_F(LeakDetectionTest, WorkLeftToTheEventLoopIsDoneWhileTheLoadRuns) {
  for (uint64_t budget : {2000, 10000}) {
    v1::RunResult r = Run("async_log.js", budget, 0);
    EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << budget << ": " << r.evidence().summary();
    EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << budget << ": " << LeakSummarySentence(r);
  }
}

// A module that leaves its flush to the event loop with no I/O in flight (a buffer of ~1 KiB
// events emptied by an immediate) gets it done before each point is read: the ramp gives the
// loop a turn before the forced GC. Read first, each point held the events since the last
// turn, the points' spacing (4-12% of the iterations: at 2,000, 80 events and more, 80 KiB):
// the old space grew ~210 KiB by 1,200 iterations, and a check was suspected at ~900. Turned
// first, it grows less than one such batch over the budget (up to 18 KiB in 8 runs: V8's own
// feedback and bytecode). Old space, not the heap: V8's code space moves by ±140 KiB over
// such a run as V8 compiles and flushes code.
TEST_F(LeakDetectionTest, WorkLeftToAnImmediateIsDoneBeforeAPointIsRead) {
  const uint64_t budget = 2000;
  v1::RunResult r = Run("immediate_batch.js", budget, 0);
  EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << r.evidence().summary();
  EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << LeakSummarySentence(r);
  auto old_space = [](const v1::Checkpoint& c) {
    for (const v1::HeapSpace& s : c.spaces()) {
      if (s.name() == "old_space") return static_cast<double>(s.used_bytes());
    }
    return 0.0;
  };
  const v1::Checkpoint* first = nullptr;
  const v1::Checkpoint* last = nullptr;
  for (const v1::Checkpoint& c : r.checkpoints()) {
    if (!c.after_gc() || c.units() < 100 || c.units() > budget) continue;
    if (first == nullptr) first = &c;
    last = &c;
  }
  ASSERT_TRUE(first != nullptr && last != first);
  const double batch_at_budget = 0.04 * static_cast<double>(budget) * 1024;  // the least a point held
  EXPECT_LT(old_space(*last) - old_space(*first), 0.75 * batch_at_budget)
      << "old space used after GC at " << first->units() << " and " << last->units() << " iterations: "
      << old_space(*first) << " and " << old_space(*last);
}

// Work left to a chain of immediates (a response's 'end', then its cleanup: what a web
// framework's in-process request does, fastify's inject) runs a link per turn of the loop.
// With one turn before each point, the second links of every unit since the last point were
// still pending when it was read, holding their units' state: ~300 B/iteration and one more
// pending Immediate every ~9 iterations, as the points' spacing grows, read as a leak at
// 2,000 and 10,000 in 4 of 4 runs, sync or async. The ramp now turns the loop while
// immediates are pending, between points (once a batch) and before one (up to 8 turns).
TEST_F(LeakDetectionTest, WorkLeftToAChainOfImmediatesIsDoneWhileTheLoadRuns) {
  for (const char* module : {"immediate_chain.js", "async_immediate_chain.mjs"}) {
    for (uint64_t budget : {2000, 10000}) {
      v1::RunResult r = Run(module, budget, 0);
      EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << module << " at " << budget << ": " << r.evidence().summary();
      EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << module << " at " << budget << ": "
                                                               << LeakSummarySentence(r);
      const v1::LeakSeries* handles = Series(r, "handles");
      ASSERT_NE(handles, nullptr) << module;
      EXPECT_NE(handles->verdict(), v1::LEAK_VERDICT_LEAK) << module << " at " << budget;
    }
  }
}

TEST_F(LeakDetectionTest, NonLeaksAreDecidedNoLeak) {
  const std::vector<std::string> modules = {"bounded_cache.js", "churn.js",   "sawtooth.js",
                                            "warmup.js",        "weakmap.js", "open_close.js"};
  constexpr int kRepeats = 10;
  std::mutex mu;
  std::map<std::string, std::map<int, int>> verdicts;  // module → verdict → count
  std::atomic<int> next{0};
  auto work = [&]() {
    while (true) {
      int job = next++;
      if (job >= static_cast<int>(modules.size()) * kRepeats) return;
      const std::string& module = modules[job / kRepeats];
      v1::RunResult r = Run(module, 3000, 20);
      std::lock_guard<std::mutex> lock(mu);
      ++verdicts[module][r.leak().verdict()];
      EXPECT_EQ(r.outcome(), v1::OUTCOME_COMPLETED) << module << ": " << r.evidence().summary();
      // Decided, at the budget or past it: a check still undecided at 3,000 goes on (up to
      // 10 budgets) until its verdict is known. Stopped at the budget, 42 of these 60 runs
      // were `inconclusive` ("about 1500 more iterations would decide") (2026-12-02).
      EXPECT_EQ(r.leak().verdict(), v1::LEAK_VERDICT_NO_LEAK) << module << ": " << LeakSummarySentence(r);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  for (const auto& [module, counts] : verdicts) {
    int total = 0;
    for (const auto& [v, n] : counts) total += n;
    EXPECT_EQ(total, kRepeats) << module;
    EXPECT_EQ(counts.count(v1::LEAK_VERDICT_NO_LEAK) > 0 ? counts.at(v1::LEAK_VERDICT_NO_LEAK) : 0, kRepeats)
        << module;
  }
}

}  // namespace
}  // namespace heapstorm
