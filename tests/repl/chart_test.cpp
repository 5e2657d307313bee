#include "chart.h"

#include <gtest/gtest.h>

#include <sstream>

#include "poet/engine/text/text.h"

namespace poet::repl {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LineChart, FitsTheWidthWithLabelledAxes) {
  const std::vector<std::pair<double, double>> falling{
      {0, 8.0}, {100, 6.0}, {200, 5.0}, {300, 4.5}};
  const auto lines = lines_of(line_chart(falling, {"training loss", "step", false}, 60, 6));
  ASSERT_EQ(lines.size(), 1u + 6u + 2u);  // title, plot, axis, x labels
  EXPECT_EQ(lines[0], "training loss");
  EXPECT_EQ(lines[1].rfind(" 8.00 ┤", 0), 0u) << lines[1];
  EXPECT_EQ(lines[6].rfind(" 4.50 ┤", 0), 0u) << lines[6];
  for (const auto& line : lines) EXPECT_LE(decode_utf8(line).size(), 60u) << line;
  EXPECT_NE(lines[8].find("0"), std::string::npos);
  EXPECT_NE(lines[8].find("step"), std::string::npos);
  EXPECT_EQ(lines[8].substr(lines[8].size() - 3), "300");
  // The curve starts top left and ends bottom right: braille dots there, blank braille opposite.
  const std::u32string top = decode_utf8(lines[1]), bottom = decode_utf8(lines[6]);
  EXPECT_NE(top[7], U'\u2800');
  EXPECT_EQ(top.back(), U'\u2800');
  EXPECT_NE(bottom.back(), U'\u2800');
}

TEST(LineChart, ALogarithmicAxisLabelsTheValuesThemselves) {
  const auto lines =
      lines_of(line_chart({{0, 1000}, {10, 100}, {20, 10}}, {"perplexity", "step", true}, 40, 5));
  EXPECT_EQ(lines[1].rfind(" 1000 ┤", 0), 0u) << lines[1];
  EXPECT_EQ(lines[3].rfind("  100 ┤", 0), 0u)
      << lines[3];  // the middle of 10 and 1000 on a log scale
  EXPECT_EQ(lines[5].rfind(" 10.0 ┤", 0), 0u) << lines[5];
}

TEST(LineChart, OneOrNoValuesAreSaidInWords) {
  EXPECT_EQ(line_chart({}, {"perplexity", "step", true}, 40, 5), "perplexity\n  (no values yet)\n");
  EXPECT_EQ(line_chart({{500, 123.4}}, {"perplexity", "step", true}, 40, 5),
            "perplexity\n  123 at step 500 (one value so far)\n");
}

}  // namespace
}  // namespace poet::repl
