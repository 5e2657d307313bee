#include "chart.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "poet/engine/text/text.h"

namespace poet::repl {
namespace {

// A number for an axis label, short whatever its size.
std::string label(double value) {
  const double magnitude = std::fabs(value);
  if (magnitude >= 10000) return fmt::format("{:.0f}", value);
  if (magnitude >= 100) return fmt::format("{:.0f}", value);
  if (magnitude >= 10) return fmt::format("{:.1f}", value);
  return fmt::format("{:.2f}", value);
}

// A grid of braille dots: `columns` × `rows` characters, each 2 dots wide and 4 tall.
class DotGrid {
 public:
  DotGrid(int columns, int rows)
      : columns_(columns), rows_(rows), cells_(static_cast<std::size_t>(columns * rows), 0) {}
  int width() const { return columns_ * 2; }
  int height() const { return rows_ * 4; }

  // (x, y) in dots, y = 0 at the bottom.
  void set(int x, int y) {
    if (x < 0 || y < 0 || x >= width() || y >= height()) return;
    const int row = rows_ - 1 - y / 4, dot_row = 3 - y % 4;
    static constexpr unsigned char kBits[2][4] = {{0x01, 0x02, 0x04, 0x40},
                                                  {0x08, 0x10, 0x20, 0x80}};
    cells_[static_cast<std::size_t>(row * columns_ + x / 2)] |= kBits[x % 2][dot_row];
  }

  // Bresenham's line between two dots.
  void line(int x0, int y0, int x1, int y1) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    for (int error = dx + dy;;) {
      set(x0, y0);
      if (x0 == x1 && y0 == y1) break;
      const int twice = 2 * error;
      if (twice >= dy) error += dy, x0 += sx;
      if (twice <= dx) error += dx, y0 += sy;
    }
  }

  std::string row(int r) const {
    std::u32string text;
    for (int c = 0; c < columns_; ++c)
      text += static_cast<char32_t>(0x2800 + cells_[static_cast<std::size_t>(r * columns_ + c)]);
    return encode_utf8(text);
  }

 private:
  int columns_, rows_;
  std::vector<unsigned char> cells_;
};

}  // namespace

std::string line_chart(const std::vector<std::pair<double, double>>& points, const ChartAxes& axes,
                       int width, int height) {
  std::string text = fmt::format("{}\n", axes.title);
  if (points.empty()) return text + "  (no values yet)\n";
  if (points.size() == 1) {
    return text + fmt::format("  {} at {} {} (one value so far)\n", label(points[0].second),
                              axes.x_label, fmt::format("{:g}", points[0].first));
  }
  const auto y_of = [&](double y) { return axes.log_y ? std::log(std::max(y, 1e-12)) : y; };
  double x_min = points.front().first, x_max = x_min, y_min = y_of(points.front().second),
         y_max = y_min;
  for (const auto& [x, y] : points) {
    x_min = std::min(x_min, x), x_max = std::max(x_max, x);
    y_min = std::min(y_min, y_of(y)), y_max = std::max(y_max, y_of(y));
  }
  if (y_max == y_min) y_min -= 0.5, y_max += 0.5;
  if (x_max == x_min) x_max = x_min + 1;
  const auto shown = [&](double y) { return axes.log_y ? std::exp(y) : y; };
  const std::string top = label(shown(y_max)), middle = label(shown((y_min + y_max) / 2)),
                    bottom = label(shown(y_min));
  const int margin = static_cast<int>(std::max({top.size(), middle.size(), bottom.size()})) + 1;
  const int columns = std::max(8, width - margin - 2);

  DotGrid grid(columns, height);
  const auto dot_x = [&](double x) {
    return static_cast<int>(std::lround((x - x_min) / (x_max - x_min) * (grid.width() - 1)));
  };
  const auto dot_y = [&](double y) {
    return static_cast<int>(std::lround((y_of(y) - y_min) / (y_max - y_min) * (grid.height() - 1)));
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    const int x = dot_x(points[i].first), y = dot_y(points[i].second);
    if (i == 0) {
      grid.set(x, y);
    } else {
      grid.line(dot_x(points[i - 1].first), dot_y(points[i - 1].second), x, y);
    }
  }
  for (int r = 0; r < height; ++r) {
    const std::string& tick = r == 0            ? top
                              : r == height - 1 ? bottom
                              : r == height / 2 ? middle
                                                : std::string();
    text += fmt::format("{:>{}} {}{}\n", tick, margin, tick.empty() ? "│" : "┤", grid.row(r));
  }
  std::string axis;
  for (int c = 0; c < columns; ++c) axis += "─";
  text += fmt::format("{:>{}} └{}\n", "", margin, axis);
  const std::string left = fmt::format("{:g}", x_min), right = fmt::format("{:g}", x_max);
  const int gap =
      std::max(1, columns - static_cast<int>(left.size() + right.size() + axes.x_label.size()));
  text += fmt::format("{:>{}}  {}{:>{}}{}{:>{}}\n", "", margin, left, "", gap / 2, axes.x_label,
                      right, gap - gap / 2 + static_cast<int>(right.size()));
  return text;
}

int terminal_width() {
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    const int value = std::atoi(columns);
    if (value > 0) return value;
  }
  return 80;
}

}  // namespace poet::repl
