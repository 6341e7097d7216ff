// The progress bar's text, throttling and both output modes, with a fake clock.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "train/progress.h"

namespace fovea::train {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A clock the test moves by hand.
struct FakeClock {
  double now = 1000;
  std::function<double()> function() {
    return [this] { return now; };
  }
};

TEST(Progress, DurationRateAndStatStrings) {
  EXPECT_EQ(format_duration(7.4), "00:07");
  EXPECT_EQ(format_duration(7.6), "00:08");  // 10.9999 s left reads "00:11", not "00:10"
  EXPECT_EQ(format_duration(754), "12:34");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(NAN), "?");
  EXPECT_EQ(format_duration(-1), "?");
  EXPECT_EQ(format_rate(812.4, "img"), "812 img/s");
  EXPECT_EQ(format_rate(6.724, "it"), "6.72 it/s");
  EXPECT_EQ(format_rate(0.4, "it"), "2.50 s/it");
  EXPECT_EQ(format_rate(0, "it"), "? it/s");
  EXPECT_EQ(format_stat(0.123), "0.123");
  EXPECT_EQ(format_stat(0.123456), "0.1235");
  EXPECT_EQ(format_stat(3e-4), "3.00e-04");
  EXPECT_EQ(format_stat(812), "812");
  EXPECT_EQ(format_stat(812.34), "812.3");
  EXPECT_EQ(format_stat(12345.6), "12346");
  EXPECT_EQ(format_stat(0), "0");
}

TEST(Progress, TerminalLineHasPercentBarCountsTimesRateAndStats) {
  ProgressBar bar(1000, "train", {.interactive = true, .ascii = true});
  // 420 of 1000 in 62.5 s (rounds to 01:03): 6.72 it/s, 580 left, ETA 86.3 s.
  const std::string line = bar.render(420, 62.5, {{"loss", 0.123}}, true, 100);
  const std::string expected_bar = std::string(16, '#') + std::string(24, '.');  // 40 cells
  EXPECT_EQ(line, "train  42%|" + expected_bar + "| 420/1000 [01:03<01:26, 6.72 it/s] loss=0.123");
  // A narrow terminal: the bar shrinks to 10 cells and the stats are cut; never wraps.
  EXPECT_EQ(bar.render(420, 62.5, {{"loss", 0.123}}, true, 60).size(), 60u);
}

TEST(Progress, UnicodeBarUsesEighthBlocks) {
  ProgressBar bar(8, "x", {.interactive = true});
  // 1/8 done of a 40-cell bar = 5 cells: five full blocks and 35 spaces.
  const std::string line = bar.render(1, 1, {}, true, 100);
  EXPECT_NE(line.find("|█████ "), std::string::npos) << line;
  EXPECT_EQ(count(line, "█"), 5u);
  const std::string partial = bar.render(3, 1, {}, true, 100);  // 15 cells
  EXPECT_EQ(count(partial, "█"), 15u);
}

TEST(Progress, LogLinesAreThrottledAndTheLastIsAlwaysPrinted) {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(
      100, "epoch 1/3",
      {.out = &out, .interactive = false, .log_interval_seconds = 10, .clock = clock.function()});
  clock.now += 1;
  bar.update(10, {{"loss", 2.5}});
  EXPECT_EQ(out.str(), "");  // a log waits for the first interval
  clock.now += 10;
  bar.update(50, {{"loss", 0.5}});
  clock.now += 1;
  bar.update(60);
  clock.now += 3;
  bar.update(100, {{"loss", 0.25}});
  bar.update(100);  // after the end: ignored
  EXPECT_EQ(out.str(),
            "epoch 1/3: 50/100 (50%) elapsed 00:11 eta 00:11 4.55 it/s loss=0.5\n"
            "epoch 1/3: 100/100 (100%) elapsed 00:15 eta 00:00 6.67 it/s loss=0.25\n");
}

TEST(Progress, TerminalRedrawsInPlaceAtMostTenTimesASecond) {
  std::ostringstream out;
  FakeClock clock;
  ProgressBar bar(1000, "eval",
                  {.out = &out, .interactive = true, .width = 80, .clock = clock.function()});
  bar.update(0);                    // drawn at once
  for (int i = 1; i <= 100; ++i) {  // 100 updates 3 ms apart
    clock.now += 0.003;
    bar.update(i);
  }
  // Drawn at update 0, then every 34 updates (the first to be 0.1 s after the last draw).
  const std::string text = out.str();
  EXPECT_EQ(count(text, "\r"), 3u) << text;
  EXPECT_EQ(count(text, "\n"), 0u);
  EXPECT_EQ(count(text, "\x1b[K"), 3u);
  EXPECT_NE(text.find(" 68/1000 "), std::string::npos) << text;
  clock.now += 0.01;
  bar.finish({{"acc", 0.9}});
  EXPECT_EQ(out.str().back(), '\n');
  EXPECT_NE(out.str().rfind("100/1000"), std::string::npos);
  EXPECT_NE(out.str().rfind("acc=0.9"), std::string::npos);
}

TEST(Progress, AnInterruptedTerminalBarEndsItsLine) {
  std::ostringstream out;
  {
    ProgressBar bar(10, "pack", {.out = &out, .interactive = true, .width = 80});
    bar.update(3);
  }
  EXPECT_EQ(out.str().back(), '\n');
  std::ostringstream quiet;
  { ProgressBar bar(10, "pack", {.out = &quiet, .interactive = true}); }
  EXPECT_EQ(quiet.str(), "");  // nothing drawn, nothing to end
}

TEST(Progress, UnknownTotalShowsCountsAndRateOnly) {
  ProgressBar bar(0, "scan", {.interactive = false});
  EXPECT_EQ(bar.render(5, 2.0, {}, false, 100), "scan: 5 elapsed 00:02 2.50 it/s");
  EXPECT_EQ(bar.render(5, 2.0, {}, true, 100), "scan 5 [00:02, 2.50 it/s]");
}

}  // namespace
}  // namespace fovea::train
