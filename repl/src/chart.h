#pragma once
// Line charts in the terminal, drawn with braille characters (2×4 dots a character), with
// labelled axes: how `loss` shows a training run.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poet::repl {

struct ChartAxes {
  std::string_view title;
  std::string_view x_label;
  bool log_y = false;  // a logarithmic y axis (perplexities span orders of magnitude)
};

// Points (x, y) joined by lines, in a chart `width` characters wide (labels included) and
// `height` lines tall (the plot area; the title and x axis add three more).
std::string line_chart(const std::vector<std::pair<double, double>>& points, const ChartAxes& axes,
                       int width, int height);

// The width of the terminal on standard output, or of $COLUMNS, or 80.
int terminal_width();

}  // namespace poet::repl
