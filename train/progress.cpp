#include "train/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

namespace fovea::train {

namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The bar's cells, each 1/8 finer than a whole block, as tqdm draws them.
std::string unicode_bar(double fraction, int width) {
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  const int eighths = static_cast<int>(fraction * width * 8);
  const int full = eighths / 8;
  std::string bar;
  for (int i = 0; i < full; ++i) bar += "█";
  int cells = full;
  if (full < width) {
    bar += kEighths[eighths % 8];
    cells += eighths % 8 > 0;
  }
  return bar + std::string(static_cast<size_t>(width - cells), ' ');
}

std::string ascii_bar(double fraction, int width) {
  const int filled = static_cast<int>(fraction * width);
  return std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(width - filled), '.');
}

std::string stats_text(const ProgressStats& stats) {
  std::string text;
  for (const auto& [name, value] : stats) text += fmt::format(" {}={}", name, format_stat(value));
  return text;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t total = std::llround(seconds);
  const int64_t hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, minutes, secs);
  return fmt::format("{:02}:{:02}", minutes, secs);
}

std::string format_rate(double items_per_second, std::string_view unit) {
  if (!std::isfinite(items_per_second) || items_per_second <= 0) {
    return fmt::format("? {}/s", unit);
  }
  if (items_per_second >= 100) return fmt::format("{:.0f} {}/s", items_per_second, unit);
  if (items_per_second >= 1) return fmt::format("{:.2f} {}/s", items_per_second, unit);
  return fmt::format("{:.2f} s/{}", 1.0 / items_per_second, unit);
}

std::string format_stat(double value) {
  const double magnitude = std::fabs(value);
  if (value == 0 || !std::isfinite(value)) return fmt::format("{}", value);
  if (magnitude >= 1e9 || magnitude < 1e-3) return fmt::format("{:.2e}", value);
  if (magnitude >= 1000) return fmt::format("{:.0f}", value);
  return fmt::format("{:.4g}", value);
}

ProgressBar::ProgressBar(int64_t total, std::string label, ProgressOptions options)
    : total_(total), label_(std::move(label)), options_(std::move(options)) {
  out_ = options_.out ? options_.out : &std::cerr;
  interactive_ = options_.interactive.value_or(options_.out == nullptr && ::isatty(STDERR_FILENO));
  if (!options_.clock) options_.clock = steady_seconds;
  start_ = options_.clock();
  last_draw_ = start_;
}

ProgressBar::~ProgressBar() {
  std::lock_guard lock(mutex_);
  if (interactive_ && drawn_ && !finished_) *out_ << "\n" << std::flush;
}

std::string ProgressBar::render(int64_t done, double elapsed, const ProgressStats& stats,
                                bool interactive, int width) const {
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const bool known = total_ > 0;
  const double fraction = known ? std::clamp(static_cast<double>(done) / total_, 0.0, 1.0) : 0.0;
  const double eta = known && rate > 0 ? (total_ - done) / rate : -1.0;
  const std::string counts = known ? fmt::format("{}/{}", done, total_) : std::to_string(done);
  const std::string rate_text = format_rate(rate, options_.unit);
  const std::string extra = stats_text(stats);
  if (!interactive) {
    std::string line = label_ + ": " + counts;
    if (known) line += fmt::format(" ({:.0f}%)", 100 * fraction);
    line += " elapsed " + format_duration(elapsed);
    if (known) line += " eta " + format_duration(eta);
    return line + " " + rate_text + extra;
  }
  const std::string time =
      known ? fmt::format(" [{}<{}, {}]", format_duration(elapsed), format_duration(eta), rate_text)
            : fmt::format(" [{}, {}]", format_duration(elapsed), rate_text);
  if (!known) return (label_ + " " + counts + time + extra).substr(0, static_cast<size_t>(width));
  const std::string prefix = fmt::format("{} {:3.0f}%|", label_, 100 * fraction);
  std::string suffix = "| " + counts + time + extra;
  // The bar takes what the text leaves, between 10 and 40 cells; stats that still do not
  // fit are cut, so the line never wraps (a wrapped line cannot be redrawn in place).
  const int text = static_cast<int>(prefix.size() + suffix.size());
  const int bar_width = std::clamp(width - text, 10, 40);
  const int room = width - static_cast<int>(prefix.size()) - bar_width;
  if (room < static_cast<int>(suffix.size())) suffix.resize(static_cast<size_t>(std::max(room, 0)));
  const std::string bar =
      options_.ascii ? ascii_bar(fraction, bar_width) : unicode_bar(fraction, bar_width);
  return prefix + bar + suffix;
}

int ProgressBar::line_width() const {
  if (options_.width > 0) return options_.width;
  winsize size{};
  if (interactive_ && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col - 1;  // the last column would make some terminals wrap
  }
  return 100;
}

void ProgressBar::draw(int64_t done, const ProgressStats& stats, bool final) {
  const double now = options_.clock();
  const double interval =
      interactive_ ? options_.redraw_interval_seconds : options_.log_interval_seconds;
  // A terminal shows the bar at once; a log waits for the first interval.
  const bool first_on_terminal = interactive_ && !drawn_;
  if (!final && !first_on_terminal && now - last_draw_ < interval) return;
  last_draw_ = now;
  const std::string line = render(done, now - start_, stats, interactive_, line_width());
  if (interactive_) {
    *out_ << "\r" << line << "\x1b[K";  // clear what a longer previous line left
    if (final) *out_ << "\n";
  } else {
    *out_ << line << "\n";
  }
  *out_ << std::flush;
  drawn_ = true;
}

void ProgressBar::update(int64_t done, const ProgressStats& stats) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  last_done_ = done;
  last_stats_ = stats;
  const bool final = total_ > 0 && done >= total_;
  draw(done, stats, final);
  finished_ = final;
}

void ProgressBar::finish(const ProgressStats& stats) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  draw(last_done_, stats.empty() ? last_stats_ : stats, true);
  finished_ = true;
}

}  // namespace fovea::train
