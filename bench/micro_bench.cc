// Google Benchmark micro-benchmarks of the hot paths: telemetry parsing, /proc parsing,
// the trend statistics of leak checks, the U test, heap snapshot reading, and building and
// writing the reports of a 1,000-run suite.
//
//   bazel run -c opt //bench:micro_bench -- --snapshot=PATH.heapsnapshot
//
// (bench/run_all.sh writes a snapshot with node first and records the figures.)
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "common/trend.h"
#include "google/protobuf/util/json_util.h"
#include "proto/telemetry.pb.h"
#include "reports/html_report.h"
#include "reports/report_builder.h"
#include "reports/report_writer.h"
#include "reports/statistics.h"
#include "scenarios/suite_loader.h"
#include "worker/engine/heap_snapshot.h"
#include "worker/engine/proc_sampler.h"

namespace heapstorm {
namespace {

std::string g_snapshot;

constexpr char kCheckpointLine[] =
    R"({"type":"checkpoint","checkpoint":{"units":12000,"t_ms":153.27,"heap_used_bytes":13421772,)"
    R"("heap_total_bytes":18874368,"heap_limit_bytes":318767104,"external_bytes":1468006,)"
    R"("array_buffers_bytes":10515,"rss_bytes":62914560,"spaces":[{"name":"read_only_space","size_bytes":0,)"
    R"("used_bytes":0,"available_bytes":0,"physical_bytes":0},{"name":"new_space","size_bytes":1048576,)"
    R"("used_bytes":524288,"available_bytes":507904,"physical_bytes":1048576},{"name":"old_space",)"
    R"("size_bytes":15728640,"used_bytes":11534336,"available_bytes":3145728,"physical_bytes":15728640},)"
    R"({"name":"code_space","size_bytes":1048576,"used_bytes":786432,"available_bytes":0,"physical_bytes":1048576},)"
    R"({"name":"large_object_space","size_bytes":262144,"used_bytes":262144,"available_bytes":0,"physical_bytes":262144}],)"
    R"("gc":{"scavenges":12,"mark_compacts":1,"incremental":2,"weak_callbacks":0,"pause_ms_total":23.5,)"
    R"("pause_ms_max":9.7,"scavenge_ms":13.8,"mark_compact_ms":9.7},"active_handles":3,"after_gc":false,"descriptors":0}})";

void BM_ParseTelemetryCheckpoint(benchmark::State& state) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (auto _ : state) {
    v1::DriverEvent event;
    auto status = google::protobuf::util::JsonStringToMessage(kCheckpointLine, &event, options);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(event);
  }
}
BENCHMARK(BM_ParseTelemetryCheckpoint);

void BM_ParseProcStatus(benchmark::State& state) {
  std::ifstream in("/proc/self/status");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto _ : state) benchmark::DoNotOptimize(ParseProcStatus(text));
}
BENCHMARK(BM_ParseProcStatus);

void BM_ReadProcStatusAndDescriptors(benchmark::State& state) {
  pid_t self = getpid();
  for (auto _ : state) {
    ProcStatus s;
    benchmark::DoNotOptimize(ReadProcStatus(self, &s));
    benchmark::DoNotOptimize(CountDescriptors(self));
  }
}
BENCHMARK(BM_ReadProcStatusAndDescriptors);

void BM_TheilSenAndMannKendall(benchmark::State& state) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 300);
  std::vector<double> x, y;
  for (int i = 0; i < state.range(0); ++i) {
    x.push_back(i * 20.0);
    y.push_back(4e6 + 50.0 * i * 20 + noise(rng));
  }
  for (auto _ : state) {
    TheilSen fit = TheilSenSlope(x, y, 0.01);
    MannKendall mk = MannKendallTest(y);
    benchmark::DoNotOptimize(fit);
    benchmark::DoNotOptimize(mk);
  }
}
BENCHMARK(BM_TheilSenAndMannKendall)->Arg(30)->Arg(100)->Arg(200);

void BM_MannWhitneyU(benchmark::State& state) {
  std::vector<double> a, b;
  for (int i = 0; i < state.range(0); ++i) {
    a.push_back(1000 + i * 3.5);
    b.push_back(1010 + i * 3.1);
  }
  for (auto _ : state) benchmark::DoNotOptimize(MannWhitneyU(a, b));
}
BENCHMARK(BM_MannWhitneyU)->Arg(5)->Arg(20)->Arg(100);

void BM_ReadHeapSnapshot(benchmark::State& state) {
  if (g_snapshot.empty()) {
    state.SkipWithError("no --snapshot given");
    return;
  }
  for (auto _ : state) {
    auto summary = ReadHeapSnapshot(g_snapshot);
    if (!summary.ok()) state.SkipWithError(std::string(summary.status().message()).c_str());
    benchmark::DoNotOptimize(summary);
  }
  std::ifstream in(g_snapshot, std::ios::ate | std::ios::binary);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(in.tellg()));
}
BENCHMARK(BM_ReadHeapSnapshot)->Unit(benchmark::kMillisecond);

// A suite of `configs` configurations × `repeats` runs with 100 checkpoints each.
ReportInputs ManyRuns(const v1::Suite& suite, int repeats) {
  ReportInputs in;
  in.suite = &suite;
  for (const v1::Scenario& s : suite.scenarios()) {
    for (int r = 0; r < repeats; ++r) {
      v1::RunResult run;
      run.set_scenario(s.name());
      run.set_repeat(r);
      run.set_outcome(v1::OUTCOME_COMPLETED);
      run.set_units_reached(10000);
      run.mutable_limits()->set_max_old_space_mib(256);
      run.mutable_limits()->set_max_descriptors(1024);
      for (int i = 0; i <= 100; ++i) {
        v1::Checkpoint* c = run.add_checkpoints();
        c->set_units(i * 100);
        c->set_heap_used_bytes(4000000 + i * 50000);
        c->set_heap_total_bytes(8000000 + i * 50000);
        c->set_external_bytes(1000000);
        c->set_rss_bytes(50000000 + i * 60000);
        for (const char* space : {"old_space", "new_space", "code_space", "large_object_space"}) {
          v1::HeapSpace* h = c->add_spaces();
          h->set_name(space);
          h->set_used_bytes(1000000 + i * 10000);
        }
        v1::OutsideSample* o = run.add_samples();
        o->set_t_ms(i * 10.0);
        o->set_rss_bytes(50000000 + i * 60000);
        o->set_descriptors(20);
      }
      run.set_peak_heap_used_bytes(9000000);
      run.mutable_heap_per_unit()->set_slope(500);
      in.runs.push_back(std::move(run));
    }
  }
  return in;
}

v1::Suite ManyScenarios(int n) {
  std::string yaml = "scenarios:\n";
  for (int i = 0; i < n; ++i) {
    yaml += "  - {name: s" + std::to_string(i) + ", kind: cached_data, params: {entries: 10000}}\n";
  }
  return *LoadSuiteText(yaml, "bench.yaml", "/");
}

void BM_Report1000RunsJsonAndHtml(benchmark::State& state) {
  static v1::Suite suite = ManyScenarios(100);
  ReportInputs in = ManyRuns(suite, 10);  // 100 scenarios × 10 repeats = 1,000 runs
  size_t json_bytes = 0, html_bytes = 0;
  for (auto _ : state) {
    v1::Report report = BuildReport(in);
    absl::StatusOr<std::string> json = ReportToJson(report);
    std::string html = RenderHtml(report);
    json_bytes = json->size();
    html_bytes = html.size();
    benchmark::DoNotOptimize(html);
  }
  state.counters["json_MB"] = json_bytes / 1e6;
  state.counters["html_MB"] = html_bytes / 1e6;
}
BENCHMARK(BM_Report1000RunsJsonAndHtml)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace heapstorm

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--snapshot=", 0) == 0) {
      heapstorm::g_snapshot = arg.substr(11);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
