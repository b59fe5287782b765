// The sentences a person reads about a leak check and a run's native limit, made at the
// edge from the structured fields of its result: which sentence (LeakResult.summary_kind,
// LeakSeries.note_kind, LeakRetention.finding, LeakExhaustion.finding,
// RunResult.limit_fallback) and the figures it needs. The engine writes no prose; the
// report builder fills the string fields (LeakResult.summary and exhaustion, each series'
// note, the retention's note, RunResult.limit_note) with these sentences for the JSON, HTML
// and JUnit reports and the terminal, as reports/outcome_sentence.h does for the outcome.
//
// A field that carries a sentence already (journaled by an older version) keeps it. Every
// function is pure.
#ifndef HEAPSTORM_REPORTS_LEAK_SENTENCE_H_
#define HEAPSTORM_REPORTS_LEAK_SENTENCE_H_

#include <string>

#include "proto/result.pb.h"

namespace heapstorm {

// The sentence summing up a run's leak check: "leak: heap_used +1.06Ki/iteration
// (p=2.7e-09); at 453 iterations/s the old space (256Mi) is full in 8m56s". The run gives
// the limits the sentence names. "" without a leak check or a summary_kind.
std::string LeakSummarySentence(const v1::RunResult& run);

// The note of one series of `leak` ("flat after an early rise"); "" without one.
std::string SeriesNoteSentence(const v1::LeakResult& leak, const v1::LeakSeries& series);

// What a retention check found: "bounded: objects allocated after iteration 500 were freed
// by 1200 (...)"; "" without a finding.
std::string RetentionSentence(const v1::LeakRetention& retention);

// How a run of `leak` that died of a resource was judged: "ran out at iteration 1005
// (limit 1024)", or why that was no leak ("grabbed at setup: ..."); "" when it was not.
std::string ExhaustionSentence(const v1::LeakResult& leak);

// Why the watchdog kept the native limit: "native limit kept by the RSS watchdog: cgroups
// are turned off"; "" when it did not have to.
std::string LimitNoteSentence(const v1::RunResult& run);

// Fills every sentence above into `run` where its field is empty.
void FillLeakSentences(v1::RunResult* run);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_LEAK_SENTENCE_H_
