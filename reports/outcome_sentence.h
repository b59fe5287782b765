// The sentence a person reads about how a run ended ("SIGABRT with V8's heap out-of-memory
// message at 42000 units"), made at the edge from the structured fields of its result: the
// outcome classifier's reason (Evidence.reason) and the evidence's numbers. The engine
// writes no prose; the report builder fills Evidence.summary with this sentence for the
// JSON, HTML and JUnit reports and the terminal.
#ifndef HEAPSTORM_REPORTS_OUTCOME_SENTENCE_H_
#define HEAPSTORM_REPORTS_OUTCOME_SENTENCE_H_

#include <string>

#include "proto/result.pb.h"

namespace heapstorm {

// The run's outcome sentence. A result that carries one already (journaled by an older
// version, or written by hand) keeps it; one without a reason gets "". Pure.
std::string OutcomeSentence(const v1::RunResult& run);

// A driver status as a word: "completed", "stack_overflow", ...; "" for UNSPECIFIED.
std::string DriverStatusWord(v1::DriverStatus status);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_OUTCOME_SENTENCE_H_
