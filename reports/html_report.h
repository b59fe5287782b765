// report.html: one self-contained file (inline CSS and SVG, no script, no external URL)
// that reads at a glance from a CI artifact: the verdict and what decided it first, then
// the regressions against the baseline, then each configuration with its charts (memory
// by units of load with the breaking point marked, per V8 space, over time from outside),
// GC figures and the evidence of its outcome. Every string from a suite, a script or a
// process is escaped.
#ifndef HEAPSTORM_REPORTS_HTML_REPORT_H_
#define HEAPSTORM_REPORTS_HTML_REPORT_H_

#include <string>

#include "proto/report.pb.h"

namespace heapstorm {

std::string RenderHtml(const v1::Report& report);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_HTML_REPORT_H_
