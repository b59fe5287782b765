// junit.xml: one <testcase> per configuration (scenario × variation), plus one per
// configuration compared against a baseline. A failed expectation, leak or regression is
// a <failure> whose message carries the evidence; a run heapstorm could not make (lost,
// cancelled) is an <error>; a scenario left out by a filter is <skipped>. Names are unique;
// `time` is in seconds with a decimal point; every string is escaped for XML.
#ifndef HEAPSTORM_REPORTS_JUNIT_REPORT_H_
#define HEAPSTORM_REPORTS_JUNIT_REPORT_H_

#include <string>
#include <vector>

#include "proto/report.pb.h"

namespace heapstorm {

// `skipped` names scenarios that were filtered out.
std::string RenderJunit(const v1::Report& report, const std::vector<std::string>& skipped = {});

// Escapes text for XML content and attributes; drops characters XML 1.0 cannot carry.
std::string XmlEscape(const std::string& text);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_JUNIT_REPORT_H_
