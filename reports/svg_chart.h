// Line charts as inline SVG for report.html: no script, no external resource, so the file
// reads the same from a CI artifact offline. Series are thinned to at most kMaxChartPoints
// points (the largest value of each stretch is kept, so peaks stay visible).
#ifndef HEAPSTORM_REPORTS_SVG_CHART_H_
#define HEAPSTORM_REPORTS_SVG_CHART_H_

#include <string>
#include <utility>
#include <vector>

namespace heapstorm {

inline constexpr size_t kMaxChartPoints = 80;

struct ChartSeries {
  std::string name;
  std::string color;  // a CSS color
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
  bool dashed = false;
};

struct ChartMarker {
  double x = 0;
  std::string label;  // e.g. "heap_exhausted at 42,000"
};

struct ChartLine {
  double y = 0;
  std::string label;  // e.g. "old space limit 32Mi"
};

struct ChartSpec {
  std::string title;
  std::string x_label;   // "units of load", "seconds"
  bool y_bytes = true;   // y values are bytes (ticks as 12Mi) or plain numbers
  std::vector<ChartSeries> series;
  std::vector<ChartMarker> markers;  // vertical lines
  std::vector<ChartLine> lines;      // horizontal lines
};

// The chart as an <svg> element (with a legend), or "" when no series has a point.
std::string RenderSvgChart(const ChartSpec& spec);

// Escapes text for HTML content and attributes.
std::string HtmlEscape(const std::string& text);

}  // namespace heapstorm

#endif  // HEAPSTORM_REPORTS_SVG_CHART_H_
