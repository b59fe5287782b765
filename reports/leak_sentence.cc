#include "reports/leak_sentence.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "model/units.h"

namespace heapstorm {
namespace {

// A growth per iteration in the series' unit: "1.06Ki/iteration", "0.5/iteration".
std::string Rate(double value, const std::string& unit) {
  if (unit == "bytes") return absl::StrCat(FormatSize(value), "/iteration");
  return absl::StrFormat("%.3g/iteration", value);
}

// The series that grow: "heap_used +1.06Ki/iteration (p=2.7e-09), handles +0.5/iteration (p=0.001)".
std::string Growing(const v1::LeakResult& leak) {
  std::string list;
  for (const v1::LeakSeries& s : leak.series()) {
    if (s.verdict() != v1::LEAK_VERDICT_LEAK) continue;
    // A sign of its own for a negative fit ("+-6.21B/iteration" was read).
    absl::StrAppend(&list, list.empty() ? "" : ", ", s.name(), s.slope_per_iteration() < 0 ? " " : " +",
                    Rate(s.slope_per_iteration(), s.unit()),
                    absl::StrFormat(" (p=%.2g)", s.p_value()));
  }
  return list;
}

double DetectionLimit(const v1::LeakResult& leak, int series) {
  return series < leak.series_size() ? leak.series(series).detection_limit() : 0;
}

// The exhausted resource's limit or amount, in its unit.
std::string Amount(const v1::LeakExhaustion& x, double value) {
  if (x.series() == "descriptors") return absl::StrCat(value);
  return FormatSize(value);
}

std::string Resource(const v1::LeakExhaustion& x) {
  if (x.series() == "descriptors") return "descriptors";
  if (x.series() == "heap_used") return "old space";
  return "native memory";
}

std::string ExhaustionWords(const v1::LeakExhaustion& x) {
  const std::string limit = x.series() == "descriptors" ? absl::StrCat(static_cast<uint64_t>(x.limit()))
                                                         : FormatSize(x.limit());
  switch (x.finding()) {
    case v1::EXHAUSTION_FINDING_RAN_OUT:
      return absl::StrCat("ran out at iteration ", x.at_iteration(), " (limit ", limit, ")");
    case v1::EXHAUSTION_FINDING_DURING_SETUP:
      return "it ran out before the first iteration (during setup)";
    case v1::EXHAUSTION_FINDING_GRABBED_AT_SETUP:
      return absl::StrCat("grabbed at setup: ", Amount(x, x.in_use_at_setup()), " of ", limit,
                          " was in use before the first iteration");
    case v1::EXHAUSTION_FINDING_GRABBED_IN_ONE_STEP:
      return absl::StrCat("grabbed in one step: ",
                          x.biggest_step_at() > 0 ? absl::StrCat("most of it by iteration ", x.biggest_step_at())
                                                  : std::string("it did not grow between checkpoints"),
                          ", not iteration by iteration");
    case v1::EXHAUSTION_FINDING_SHORT_OF_LIMIT:
      return absl::StrCat("its series did not grow up to the limit (", limit, ")");
    default:
      return "";
  }
}

std::string Retention(const v1::LeakResult& leak) { return RetentionSentence(leak.retention()); }

// The sentence of the summary's kind, before what may be said after it.
std::string SummaryOfKind(const v1::RunResult& run) {
  const v1::LeakResult& l = run.leak();
  switch (l.summary_kind()) {
    case v1::LEAK_SUMMARY_KIND_TREND:
      return absl::StrCat("leak: ", Growing(l),
                          l.by_trend_only() ? " (by trend only: snapshots are off, retention unproven)" : "");
    case v1::LEAK_SUMMARY_KIND_NO_LEAK:
      return absl::StrCat("no leak above ", Rate(DetectionLimit(l, 0), "bytes"), " of heap, ",
                          Rate(DetectionLimit(l, 1), "bytes"), " of external memory (", l.checkpoints(),
                          " checkpoints, iterations ", l.first_iteration(), "-", l.last_iteration(), ")");
    case v1::LEAK_SUMMARY_KIND_BUDGET_SHORT:
      // A run that ended in the warm-up: no point was judged, though some were taken.
      if (l.checkpoints() == 0) {
        return absl::StrCat("inconclusive: the run ended at iteration ", run.units_reached(),
                            ", within the warm-up, before any checkpoint was judged: about ",
                            l.more_iterations_needed(), " more iterations would decide");
      }
      return absl::StrCat("inconclusive after ", l.checkpoints(), " checkpoints (iterations ", l.first_iteration(),
                          "-", l.last_iteration(), "): about ", l.more_iterations_needed(),
                          " more iterations would decide");
    case v1::LEAK_SUMMARY_KIND_RETENTION_CONFIRMED:
      return absl::StrCat("leak: ", Growing(l), "; ", Retention(l));
    case v1::LEAK_SUMMARY_KIND_RETENTION_UNDECIDED:
      return absl::StrCat("inconclusive: ", Retention(l), ": about ", l.more_iterations_needed(),
                          " more iterations (or a longer time limit) would decide");
    case v1::LEAK_SUMMARY_KIND_RETENTION_BOUNDED:
      return absl::StrCat("no leak: ", Retention(l), "; detection limit ", FormatSize(DetectionLimit(l, 0)),
                          "/iteration of heap",
                          l.series_size() > 0 && l.series(0).limit_past_window()
                              ? " (the growth past the window that gets a check of its own)"
                              : "");
    case v1::LEAK_SUMMARY_KIND_RETENTION_UNPROVEN:
      return absl::StrCat("inconclusive: growth of ", FormatSize(l.suspected_slope_per_iteration()),
                          "/iteration suspected at iteration ", l.suspected_at_iteration(),
                          "; proving that its objects are retained needs the run to reach iteration ",
                          l.retention_reach_iteration(), ": about ", l.more_iterations_needed(),
                          " more iterations would decide");
    case v1::LEAK_SUMMARY_KIND_RETENTION_FAILED:
      return absl::StrCat("inconclusive: the retention check failed (", l.retention_error(), ")");
    case v1::LEAK_SUMMARY_KIND_EXHAUSTION: {
      double slope = 0;
      std::string unit = "bytes";
      for (const v1::LeakSeries& s : l.series()) {
        if (s.name() != l.exhausted().series()) continue;
        slope = s.slope_per_iteration();
        unit = s.unit();
      }
      return absl::StrCat("leak: ", l.exhausted().series(), " +", Rate(slope, unit), "; ",
                          ExhaustionSentence(l));
    }
    default:
      return "";
  }
}

}  // namespace

std::string LeakSummarySentence(const v1::RunResult& run) {
  if (!run.has_leak()) return "";
  const v1::LeakResult& l = run.leak();
  if (!l.summary().empty()) return l.summary();
  std::string out = SummaryOfKind(run);
  const v1::ExhaustionFinding found = l.exhausted().finding();
  if (found != v1::EXHAUSTION_FINDING_UNSPECIFIED && found != v1::EXHAUSTION_FINDING_RAN_OUT) {
    std::string said = absl::StrCat("the run ran out of ", Resource(l.exhausted()), " at iteration ",
                                    l.exhausted().at_iteration(), ", but not by a leak: ", ExhaustionSentence(l));
    out = out.empty() ? said : absl::StrCat(out, "; ", said);
  }
  if (l.seconds_to_old_space_limit() > 0) {
    absl::StrAppend(&out, "; at ", static_cast<int64_t>(l.iterations_per_second()), " iterations/s the old space (",
                    run.limits().max_old_space_mib(), "Mi) is full in ",
                    FormatShortDuration(absl::Seconds(l.seconds_to_old_space_limit())));
  }
  return out;
}

std::string SeriesNoteSentence(const v1::LeakResult& leak, const v1::LeakSeries& s) {
  if (!s.note().empty()) return s.note();
  switch (s.note_kind()) {
    case v1::SERIES_NOTE_TOO_FEW_CHECKPOINTS:
      return "too few checkpoints after warm-up";
    case v1::SERIES_NOTE_SAWTOOTH:
      return absl::StrCat("memory is given back periodically (a sawtooth: it fell by ",
                          s.unit() == "bytes" ? FormatSize(s.drawdown()) : absl::StrFormat("%.3g", s.drawdown()),
                          "), not a leak");
    case v1::SERIES_NOTE_GREW_EARLY:
      return "it grew early and then slowed or stopped: a warm-up or a structure that fills up, not (yet) a leak";
    case v1::SERIES_NOTE_FLAT_AFTER_EARLY_RISE:
      return "flat after an early rise";
    case v1::SERIES_NOTE_RETENTION:
      return Retention(leak);
    case v1::SERIES_NOTE_RETENTION_UNPROVEN:
      return "suspected; its retention was not proven before the run ended";
    case v1::SERIES_NOTE_EXHAUSTION:
      return ExhaustionSentence(leak);
    case v1::SERIES_NOTE_UNDER_THE_BUDGETS_BAR:
      return absl::StrCat("its later half grew less than the bar of the budget (", Rate(s.detection_limit(), s.unit()),
                          "), though not provably less than the lower bar of the longer run");
    default:
      return "";
  }
}

namespace {

// What a table's finding is about: hash tables (table_growth_bytes), arrays' elements
// stores grown by pushes (array_growth_bytes), or both; its words.
struct StoreWords {
  const char* a;        // "a hash table"
  const char* a_s;      // "a hash table's"
  const char* one;      // "table"
  const char* grown;    // "doubled"
  const char* settles;  // why a bounded one did not grow again
  const char* deletes;  // what a bounded one is whose entries stayed
  const char* bounded;  // a bounded one
  double bytes;
};
StoreWords Store(const v1::LeakRetention& r) {
  const double bytes = static_cast<double>(r.table_growth_bytes() + r.array_growth_bytes());
  if (r.array_growth_bytes() == 0) {
    return {"a hash table", "a hash table's", "table", "doubled", "a Set or Map with deletions settles at its capacity",
            "a Set or Map that deletes as it adds", "a bounded one with deletions", bytes};
  }
  if (r.table_growth_bytes() == 0) {
    return {"an array", "an array's", "array", "grown", "an array kept to a bound stops at it",
            "an array kept to a bound", "a bounded one", bytes};
  }
  return {"hash tables and arrays", "hash tables' and arrays'", "store", "grown",
          "a structure kept to a bound stops at it", "a structure kept to a bound", "a bounded one", bytes};
}

// Whose entries a table's finding counted: "its owner", or "its N owners, in all" (an
// lru-cache's Map and arrays: 90,010 entries for a cache of 15,000 read as its size).
std::string Owners(const v1::LeakRetention& r) {
  return r.table_owners() > 1 ? absl::StrCat("its ", r.table_owners(), " owners, in all,") : "its owner";
}

// Where a table's finding first counted its owners' entries: at s3, or at the start of the
// watch whose end it is (table_entries_counted_at).
uint64_t EntriesCountedAt(const v1::LeakRetention& r) {
  return r.table_entries_counted_at() > 0 ? r.table_entries_counted_at() : r.s3();
}

// Where the later part of the check starts, over which its growth was read.
uint64_t LaterFrom(const v1::LeakRetention& r) { return r.later_from() > 0 ? r.later_from() : r.s2(); }

std::string FindingSentence(const v1::LeakRetention& r) {
  const StoreWords store = Store(r);
  const std::string program = FormatSize(r.program_bytes_per_iteration());
  const std::string rate = FormatSize(std::max(0.0, r.slope_after_per_iteration()));
  switch (r.finding()) {
    case v1::RETENTION_FINDING_UNDECIDED:
      return absl::StrCat("objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ", r.s3(),
                          " (", program, "/iteration), but the run could not go on to iteration ", r.reach(),
                          ", so a structure that fills up or is flushed later is not ruled out");
    case v1::RETENTION_FINDING_WINDOW_SHORT:
      return absl::StrCat("objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ", r.s3(), " (",
                          program, "/iteration, as fast as the series grew: ", rate, "/iteration over ", LaterFrom(r),
                          "-", r.s3(), "), but a window of ", r.s2() - r.s1(),
                          " iterations kept too few bytes to tell them from the measurement's noise");
    case v1::RETENTION_FINDING_CONFIRMED: {
      std::string later;
      if (r.store_slots() > 0 && r.slowing_checked_to() > 0) {
        later = absl::StrCat(", and it kept growing after the array that holds them (", r.store_slots(),
                             " slots) was full at iteration ", r.store_full_at(), ": ",
                             FormatSize(r.slope_checked_per_iteration()), "/iteration over ", r.store_settled_at(),
                             "-", r.slowing_checked_to());
      } else if (r.slowing_checked_to() > 0) {
        later = absl::StrCat(", and it kept growing, ", FormatSize(r.slope_checked_per_iteration()),
                             "/iteration up to iteration ", r.slowing_checked_to());
      } else if (r.store_slots() > 0) {
        later = absl::StrCat("; the array that holds them (", r.store_slots(), " slots) is full only at iteration ",
                             r.store_full_at(), ", past the memory the limits allow");
      }
      return absl::StrCat("confirmed by retention up to iteration ", r.s3(), ": objects allocated in iterations ",
                          r.s1(), "-", r.s2(), " are still alive there, ", program, "/iteration against a growth of ",
                          rate, "/iteration over ", LaterFrom(r), "-", r.s3(), later);
    }
    case v1::RETENTION_FINDING_TURNOVER:
      return absl::StrCat("confirmed by turnover up to iteration ", r.s3(), ": objects allocated in iterations ",
                          r.s1(), "-", r.s2(), " were freed by then, as those of iterations ", r.turnover_freed_s1(),
                          "-", r.turnover_freed_s2(), " were by ", r.turnover_freed_s3(),
                          ", yet the series grew ", rate, "/iteration over ", LaterFrom(r), "-", r.s3(),
                          ", and objects allocated after iteration ", r.s2(), " alive at ", r.s3(), " carry it (",
                          FormatSize(r.young_bytes_per_iteration()),
                          "/iteration): a queue or backlog that takes in more than it releases");
    case v1::RETENTION_FINDING_STORE_FILLED:
      return absl::StrCat("bounded: objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ",
                          r.s3(), " (", program, "/iteration), held by an array of ", r.store_slots(),
                          " slots allocated before iteration ", r.s1(), " (", r.store_filled(), " filled at ", r.s3(),
                          "); it is full by iteration ", r.store_full_at(), ", and after one more turn of its slots, over ",
                          r.store_settled_at(), "-", r.slowing_checked_to(), ", the series grew ",
                          FormatSize(std::max(0.0, r.slope_checked_per_iteration())), "/iteration against ", rate,
                          "/iteration before: a structure of a fixed size (an LRU's or a ring's slots)");
    case v1::RETENTION_FINDING_STORE_FILLING:
      return absl::StrCat("objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ", r.s3(), " (",
                          program, "/iteration), held by an array of ", r.store_slots(),
                          " slots allocated before iteration ", r.s1(), ", ", r.store_filled(),
                          " of them filled; it is full at about iteration ", r.store_full_at(),
                          ", and the run could not go on to ", r.reach(),
                          ", where a structure of that size has stopped growing and a leak has not");
    case v1::RETENTION_FINDING_SLOWED:
      return absl::StrCat("bounded: objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ",
                          r.s3(), " (", program, "/iteration), but the growth slowed, to ", rate, "/iteration over ",
                          LaterFrom(r), "-", r.s3(), " and ",
                          FormatSize(std::max(0.0, r.slope_checked_per_iteration())), "/iteration over ", r.s3(), "-",
                          r.slowing_checked_to(), ": a structure that fills ever more slowly toward its size");
    case v1::RETENTION_FINDING_V8_INTERNAL:
      return absl::StrCat("V8 internal growth, ", FormatSize(r.v8_internal_bytes_per_iteration()),
                          "/iteration (code, bytecode, feedback, maps, node's Buffer pool): not the program's objects");
    case v1::RETENTION_FINDING_FREED:
      return absl::StrCat("bounded: objects allocated after iteration ", r.s1(), " were freed by ", r.s3(), " (",
                          program, "/iteration of them left, against a slope of ",
                          FormatSize(r.suspected_slope_per_iteration()), "/iteration)",
                          r.stretched_from() > 0
                              ? absl::StrCat("; at ", r.stretched_from(),
                                             " they were still alive, and its cheap iterations were watched on")
                              : std::string());
    case v1::RETENTION_FINDING_STOPPED_GROWING:
      // Short of where the check decides (undecided): level for a while, not yet bounded.
      if (r.undecided()) {
        return absl::StrCat("the objects allocated in iterations ", r.s1(), "-", r.s2(), " are still alive at ", r.s3(),
                            " (", program, "/iteration) and the series grew ", rate, "/iteration over ", LaterFrom(r),
                            "-", r.s3(), ", but the run could not go on to ", r.reach(), ", where the check decides");
      }
      return absl::StrCat("bounded: it stopped growing by iteration ", LaterFrom(r), " (", rate, "/iteration over ",
                          LaterFrom(r), "-", r.s3(), "): a structure that fills up");
    case v1::RETENTION_FINDING_TABLE_STEPPED:
      return absl::StrCat(store.a, " grew ", FormatSize(store.bytes), " from iteration ", r.s1(), " to ",
                          r.s3(), " beyond what its window's objects account for, ",
                          r.table_checked_to() > r.s3() ? absl::StrCat("had not ", store.grown, " again by ",
                                                                       r.table_checked_to(), ", ")
                                                        : std::string(),
                          "but the run could not go on to iteration ", r.reach(), ", where a leaking ", store.one,
                          " has ", store.grown, " again and ", store.bounded, " has not");
    case v1::RETENTION_FINDING_TABLE_DOUBLED:
      // "Holding numbers (no object of its own)" before: an array of AsyncLocalStorage contexts
      // kept every 4th request (wild_corpus/13_als_context_audit_every4.mjs) held objects,
      // too few in its window to confirm it alone.
      return absl::StrCat("confirmed by ", store.a_s, " growth: it grew ", FormatSize(store.bytes),
                          " from iteration ", r.s1(), " to ", r.s3(), ", beyond what its window's objects account for, ",
                          "and ", store.grown, " again by ", r.table_checked_to());
    case v1::RETENTION_FINDING_TABLE_STOPPED:
      return absl::StrCat("bounded: ", store.a, " that grew ", FormatSize(store.bytes), " from iteration ",
                          r.s1(), " to ", r.s3(), " did not grow again by ", r.table_checked_to(), " (",
                          store.settles, ")");
    case v1::RETENTION_FINDING_TABLE_ENTRIES_GREW:
      return absl::StrCat("confirmed by ", store.a_s, " entries: it grew ", FormatSize(store.bytes),
                          " from iteration ", r.s1(), " to ", r.s3(), ", beyond what its window's objects account for, ",
                          "and ", Owners(r), " went on from ", r.table_entries_at_s3(), " entries at ",
                          EntriesCountedAt(r), " to ", r.table_entries_checked(), " at ", r.table_checked_to());
    case v1::RETENTION_FINDING_TABLE_ENTRIES_STAYED:
      return absl::StrCat("bounded: ", store.a, " grew ", FormatSize(store.bytes), " from iteration ", r.s1(),
                          " to ", r.s3(), ", but ", Owners(r), " held ", r.table_entries_at_s3(), " entries at ",
                          EntriesCountedAt(r), " and ", r.table_entries_checked(), " at ", r.table_checked_to(), " (",
                          store.deletes, ")");
    case v1::RETENTION_FINDING_UNACCOUNTED:
      // Retained, but far more than the series grew over the check's later part: entries that
      // outlive the check (a long turnover), not a leak's growth (ConfirmByRetention's
      // `agrees`). It read "do not account for the growth" before, which a new user took for
      // a contradiction (82.84 B/iteration alive against a growth of 5.59).
    {
      const std::string held = absl::StrCat(program, "/iteration) are far more than the series grew over the end of ",
                                            "the check (", rate, "/iteration over ", LaterFrom(r), "-", r.s3(),
                                            "): a structure whose entries outlive the check");
      // Short of where the check decides (undecided): that structure may hide a leak beside
      // it.
      if (r.undecided()) {
        return absl::StrCat("the objects allocated in iterations ", r.s1(), "-", r.s2(), " still alive at ", r.s3(),
                            " (", held, ", and the run could not go on to ", r.reach(), " to see past them");
      }
      return absl::StrCat("bounded: the objects still alive (", held, ", not a leak's growth");
    }
    default:
      return "";
  }
}

// A growth past a window found bounded, watched on (RunMonitor::WatchRegrowth) and too slow
// to be checked again: what it did past s3, where the watch is read (DecideRegrowth).
std::string RegrowthWatched(const v1::LeakRetention& r) {
  if (r.regrowth_checked_to() == 0 || r.confirmed()) return "";
  return absl::StrCat("; the series, watched on to ", r.regrowth_checked_to(), ", grew ",
                      FormatSize(std::max(0.0, r.regrowth_per_iteration())), "/iteration past iteration ", r.s3(),
                      ", too little to be tested again");
}

}  // namespace

std::string RetentionSentence(const v1::LeakRetention& r) {
  if (!r.note().empty()) return r.note();
  return absl::StrCat(FindingSentence(r), RegrowthWatched(r));
}

std::string ExhaustionSentence(const v1::LeakResult& leak) {
  if (!leak.exhaustion().empty()) return leak.exhaustion();
  return ExhaustionWords(leak.exhausted());
}

std::string LimitNoteSentence(const v1::RunResult& run) {
  if (!run.limit_note().empty()) return run.limit_note();
  switch (run.limit_fallback()) {
    case v1::LIMIT_FALLBACK_CGROUPS_OFF:
      return "native limit kept by the RSS watchdog: cgroups are turned off";
    case v1::LIMIT_FALLBACK_CGROUP_FAILED:
      return absl::StrCat("native limit kept by the RSS watchdog: ", run.cgroup_error());
    default:
      return "";
  }
}

void FillLeakSentences(v1::RunResult* run) {
  run->set_limit_note(LimitNoteSentence(*run));
  if (!run->has_leak()) return;
  v1::LeakResult* l = run->mutable_leak();
  // The summary and the notes read the retention's sentence and the exhaustion's: fill
  // those last, so each is made from the same fields whichever is read first.
  const std::string summary = LeakSummarySentence(*run);
  const std::string exhaustion = ExhaustionSentence(*l);
  for (v1::LeakSeries& s : *l->mutable_series()) s.set_note(SeriesNoteSentence(*l, s));
  l->set_summary(summary);
  l->set_exhaustion(exhaustion);
  if (l->has_retention()) l->mutable_retention()->set_note(RetentionSentence(l->retention()));
  for (v1::LeakRetention& check : *l->mutable_checks()) check.set_note(RetentionSentence(check));
}

}  // namespace heapstorm
