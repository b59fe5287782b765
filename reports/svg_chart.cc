#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "reports/markup.h"
#include "model/units.h"

namespace heapstorm {
namespace {

constexpr double kWidth = 640;
constexpr double kHeight = 240;
constexpr double kLeft = 64;
constexpr double kRight = 16;
constexpr double kTop = 28;
constexpr double kBottom = 36;

// At most `limit` points: the range is cut into stretches and the largest y of each kept,
// with the first and last points always in.
std::vector<std::pair<double, double>> Thin(const std::vector<std::pair<double, double>>& points,
                                            size_t limit) {
  if (points.size() <= limit) return points;
  std::vector<std::pair<double, double>> out = {points.front()};
  size_t inner = points.size() - 2;
  size_t buckets = limit - 2;
  for (size_t b = 0; b < buckets; ++b) {
    size_t begin = 1 + b * inner / buckets;
    size_t end = 1 + (b + 1) * inner / buckets;
    if (begin >= end) continue;
    auto best = std::max_element(points.begin() + begin, points.begin() + end,
                                 [](const auto& a, const auto& c) { return a.second < c.second; });
    out.push_back(*best);
  }
  out.push_back(points.back());
  return out;
}

// A "nice" step near range/target: 1, 2 or 5 × 10^k (or × 2^k for bytes).
double NiceStep(double range, int target, bool bytes) {
  if (range <= 0) return 1;
  double raw = range / target;
  if (bytes) {
    double p = std::pow(2.0, std::ceil(std::log2(raw)));
    return p;
  }
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

std::string Number(double v) {
  if (std::fabs(v) >= 1e6) return absl::StrFormat("%.3gM", v / 1e6);
  if (std::fabs(v) >= 1e4) return absl::StrFormat("%.3gk", v / 1e3);
  return absl::StrFormat("%.4g", v);
}

std::string Coord(double v) { return absl::StrFormat("%.0f", v); }

}  // namespace

std::string HtmlEscape(const std::string& text) { return EscapeMarkup(text); }

namespace {

// The legend: one colour swatch and name per series with points, left to right along
// the top of the plot.
void AppendLegend(const std::vector<ChartSeries>& series, std::string* svg) {
  double lx = kLeft + 8;
  for (const ChartSeries& s : series) {
    if (s.points.empty()) continue;
    absl::StrAppend(svg, "<rect x=\"", Coord(lx), "\" y=\"", kTop + 6, "\" width=\"10\" height=\"3\" fill=\"",
                    HtmlEscape(s.color), "\"/><text class=\"legend\" x=\"", Coord(lx + 14), "\" y=\"",
                    kTop + 11, "\">", HtmlEscape(s.name), "</text>");
    lx += 24 + 6.2 * s.name.size();
  }
}

}  // namespace

std::string RenderSvgChart(const ChartSpec& spec) {
  double x_min = INFINITY, x_max = -INFINITY, y_max = 0;
  bool any = false;
  for (const ChartSeries& s : spec.series) {
    for (const auto& [x, y] : s.points) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
      y_max = std::max(y_max, y);
      any = true;
    }
  }
  if (!any) return "";
  for (const ChartMarker& m : spec.markers) x_max = std::max(x_max, m.x);
  // A limit far above the data would flatten it: such lines are left out (the evidence
  // table states every limit).
  std::vector<ChartLine> lines;
  for (const ChartLine& l : spec.lines) {
    if (l.y <= 4 * y_max) lines.push_back(l);
  }
  for (const ChartLine& l : lines) y_max = std::max(y_max, l.y);
  if (x_max <= x_min) x_max = x_min + 1;
  if (y_max <= 0) y_max = 1;
  double y_step = NiceStep(y_max, 4, spec.y_bytes);
  double y_top = std::ceil(y_max / y_step) * y_step;
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_min) / (x_max - x_min) * plot_w; };
  auto py = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::string svg = absl::StrCat(
      "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 ", kWidth, " ", kHeight,
      "\"><title>", HtmlEscape(spec.title), "</title>");
  absl::StrAppend(&svg, "<text class=\"ct\" x=\"", kLeft, "\" y=\"16\">", HtmlEscape(spec.title), "</text>");
  // Grid and y ticks.
  for (double y = 0; y <= y_top + y_step / 2; y += y_step) {
    std::string label = spec.y_bytes ? FormatSize(y) : Number(y);
    absl::StrAppend(&svg, "<line class=\"grid\" x1=\"", kLeft, "\" x2=\"", kWidth - kRight, "\" y1=\"",
                    Coord(py(y)), "\" y2=\"", Coord(py(y)), "\"/><text class=\"tick\" x=\"", kLeft - 6,
                    "\" y=\"", Coord(py(y) + 4), "\" text-anchor=\"end\">", label, "</text>");
  }
  // x ticks.
  double x_step = NiceStep(x_max - x_min, 5, false);
  for (double x = std::ceil(x_min / x_step) * x_step; x <= x_max + x_step / 1e6; x += x_step) {
    absl::StrAppend(&svg, "<text class=\"tick\" x=\"", Coord(px(x)), "\" y=\"", kHeight - kBottom + 16,
                    "\" text-anchor=\"middle\">", Number(x), "</text>");
  }
  absl::StrAppend(&svg, "<text class=\"tick\" x=\"", kLeft + plot_w / 2, "\" y=\"", kHeight - 4,
                  "\" text-anchor=\"middle\">", HtmlEscape(spec.x_label), "</text>");
  absl::StrAppend(&svg, "<rect class=\"frame\" x=\"", kLeft, "\" y=\"", kTop, "\" width=\"", plot_w,
                  "\" height=\"", plot_h, "\"/>");
  for (const ChartLine& l : lines) {
    absl::StrAppend(&svg, "<line class=\"limit\" x1=\"", kLeft, "\" x2=\"", kWidth - kRight, "\" y1=\"",
                    Coord(py(l.y)), "\" y2=\"", Coord(py(l.y)), "\"/><text class=\"limitlabel\" x=\"",
                    kWidth - kRight - 4, "\" y=\"", Coord(py(l.y) - 4), "\" text-anchor=\"end\">",
                    HtmlEscape(l.label), "</text>");
  }
  for (const ChartMarker& m : spec.markers) {
    absl::StrAppend(&svg, "<line class=\"marker\" x1=\"", Coord(px(m.x)), "\" x2=\"", Coord(px(m.x)),
                    "\" y1=\"", kTop, "\" y2=\"", kTop + plot_h, "\"/><text class=\"markerlabel\" x=\"",
                    Coord(px(m.x) - 4), "\" y=\"", kTop + 12, "\" text-anchor=\"end\">",
                    HtmlEscape(m.label), "</text>");
  }
  for (const ChartSeries& s : spec.series) {
    if (s.points.empty()) continue;
    std::string points;
    for (const auto& [x, y] : Thin(s.points, kMaxChartPoints)) {
      absl::StrAppend(&points, points.empty() ? "" : " ", Coord(px(x)), ",", Coord(py(y)));
    }
    absl::StrAppend(&svg, "<polyline fill=\"none\" stroke=\"", HtmlEscape(s.color), "\" stroke-width=\"2\"",
                    s.dashed ? " stroke-dasharray=\"5 3\"" : "", " points=\"", points, "\"><title>",
                    HtmlEscape(s.name), "</title></polyline>");
  }
  AppendLegend(spec.series, &svg);
  absl::StrAppend(&svg, "</svg>");
  return svg;
}

}  // namespace heapstorm
