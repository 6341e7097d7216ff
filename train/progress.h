#pragma once
// A progress bar for training epochs, evaluation and `fovea pack`, in the style of tqdm:
//
//   epoch 3/20  42%|████████████▋                 | 420/1000 [01:02<01:25, 6.72 it/s] loss=0.123
//
// On a terminal the line is redrawn in place (carriage return), at most every
// redraw_interval_seconds, and sized to the terminal's width. When the output is not a
// terminal (a log file, CI), it prints a plain line at most every log_interval_seconds and
// one at the end, so logs stay readable:
//
//   epoch 3/20: 420/1000 (42%) elapsed 01:02 eta 01:25 6.72 it/s loss=0.123
//
// update() may be called from any one thread at a time (a mutex guards the state), e.g.
// the loader's thread, while another thread reads nothing but the terminal.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fovea::train {

// Named values shown after the bar, in order: {{"loss", 0.123}, {"lr", 3e-4}}.
using ProgressStats = std::vector<std::pair<std::string, double>>;

struct ProgressOptions {
  std::ostream* out = nullptr;      // null: std::cerr
  std::optional<bool> interactive;  // redraw in place; default: whether stderr is a TTY
  double redraw_interval_seconds = 0.1;
  double log_interval_seconds = 10;  // non-interactive: the most one line per interval
  int width = 0;                     // columns; 0: the terminal's width (100 when unknown)
  std::string unit = "it";           // "it/s", "img/s", ...
  bool ascii = false;                // '#' bars instead of Unicode blocks
  std::function<double()> clock;     // seconds; default: a steady clock (tests inject one)
};

class ProgressBar {
 public:
  // total <= 0 means unknown: counts and rate are shown, no bar, percentage or ETA.
  ProgressBar(int64_t total, std::string label, ProgressOptions options = {});
  // Ends a line left open by an interrupted bar so that the next output starts cleanly.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` items finished so far. Reaching the total draws the final state and ends the
  // line; later updates are ignored.
  void update(int64_t done, const ProgressStats& stats = {});
  // Draws the final state now (whatever `done` is) and ends the line.
  void finish(const ProgressStats& stats = {});

  // The text of one line, as drawn now (exposed for tests).
  std::string render(int64_t done, double elapsed_seconds, const ProgressStats& stats,
                     bool interactive, int width) const;

 private:
  void draw(int64_t done, const ProgressStats& stats, bool final);
  int line_width() const;

  int64_t total_;
  std::string label_;
  ProgressOptions options_;
  bool interactive_;
  std::ostream* out_;
  double start_;
  double last_draw_;
  int64_t last_done_ = 0;
  ProgressStats last_stats_;
  bool drawn_ = false;
  bool finished_ = false;
  std::mutex mutex_;
};

// "00:07", "12:34", "1:02:03", to the nearest second; "?" for a negative or non-finite time.
std::string format_duration(double seconds);
// "812 img/s" (>= 100/s), "6.72 it/s" (>= 1/s), "2.50 s/it" (slower), "? it/s" (unknown).
std::string format_rate(double items_per_second, std::string_view unit);
// Stat values: 4 significant digits ("0.1234", "812"), with exponents only for very small
// or very large values ("3.00e-04").
std::string format_stat(double value);

}  // namespace fovea::train
