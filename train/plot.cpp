#include "train/plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/error.h"
#include "train/plot_canvas.h"

namespace fovea::train {

using namespace plotting;

namespace {

constexpr size_t kMaxNameChars = 24;

// Extent below the anchor of a label turned by `degrees`, anchored at the middle of its
// right end (HAlign::right, VAlign::middle).
double rotated_depth(double width, double height, double degrees) {
  const double radians = degrees * std::numbers::pi / 180;
  return width * std::sin(radians) + height / 2 * std::cos(radians);
}

std::vector<std::string> display_names(const std::vector<std::string>& names, int64_t count,
                                       const char* op) {
  FOVEA_CHECK(names.empty() || static_cast<int64_t>(names.size()) == count,
              "{}: {} names given for {} classes", op, names.size(), count);
  std::vector<std::string> out;
  for (int64_t i = 0; i < count; ++i) {
    out.push_back(names.empty() ? std::to_string(i)
                                : ellipsize(names[static_cast<size_t>(i)], kMaxNameChars));
  }
  return out;
}

// The largest font size <= `size` at which `text` fits in `width` pixels.
Font fitting_font(TextMeasurer& measure, const std::string& text, Font font, double width) {
  const double natural = measure.width(text, font);
  if (natural > width) font.size = std::max(6.0, font.size * width / natural);
  return font;
}

}  // namespace

PlotSize plot_confusion_matrix(const std::filesystem::path& path, const ConfusionMatrix& matrix,
                               const std::vector<std::string>& class_names,
                               const std::string& title) {
  const int64_t c = matrix.num_classes;
  FOVEA_CHECK(c > 0 && static_cast<int64_t>(matrix.counts.size()) == c * c,
              "plot_confusion_matrix('{}'): the matrix must be [C, C] with C > 0, got {} counts "
              "for C = {}",
              path.string(), matrix.counts.size(), c);
  const std::vector<std::string> names = display_names(class_names, c, "plot_confusion_matrix");

  // Cells shrink with the number of classes so that 100 classes still fit a screen;
  // text goes into cells only while it can be read.
  const double cell = c <= 5 ? 88 : c <= 10 ? 64 : std::clamp(std::round(640.0 / c), 16.0, 64.0);
  const bool show_counts = cell >= 26;
  const bool show_percent = cell >= 48;
  const Font name_font{std::clamp(cell * 0.62, 10.0, 13.0)};
  const Font axis_font{14, true}, title_font{18, true}, note_font{12};

  TextMeasurer measure;
  double name_width = 0;
  for (const std::string& name : names)
    name_width = std::max(name_width, measure.width(name, name_font));
  const double name_height = measure.height(name_font);
  const double x_angle = name_width <= cell - 6 ? 0 : c <= 30 ? 45 : 90;
  const double x_depth =
      x_angle == 0 ? name_height : rotated_depth(name_width, name_height, x_angle);
  const double x_reach_left = x_angle == 45 ? name_width * std::cos(std::numbers::pi / 4) : 0;

  int64_t total = 0, correct = 0;
  for (int64_t t = 0; t < c; ++t) {
    total += matrix.support(t);
    correct += matrix.at(t, t);
  }
  const std::string heading = title.empty() ? "Confusion matrix" : title;
  const std::string note =
      total > 0 ? fmt::format(
                      "{} samples · accuracy {:.2f}% · colour: share of the true class "
                      "(row %){}",
                      total, 100.0 * correct / total, show_counts ? " · numbers: counts" : "")
                : "no samples";

  const double matrix_size = cell * c;
  double left = std::max(28 + 12 + name_width + 10, x_reach_left - cell / 2 + 40);
  const double top = 84;
  const double bar_gap = 26, bar_width = 18;
  const double right = bar_gap + bar_width + 8 + measure.width("100%", note_font) + 40;
  const double bottom = 10 + x_depth + 16 + 24 + 16;
  // A few classes make a narrow matrix: widen the margins to fit the heading.
  const double heading_width =
      std::max(measure.width(heading, title_font), measure.width(note, note_font)) + 40;
  left += std::max(0.0, (heading_width - (left + matrix_size + right)) / 2);
  const int width =
      static_cast<int>(std::ceil(std::max(left + matrix_size + right, heading_width)));
  const int height = static_cast<int>(std::ceil(top + matrix_size + bottom));
  Canvas canvas(width, height);
  canvas.text(heading, width / 2.0, 30, title_font, HAlign::center, VAlign::baseline);
  canvas.text(note, width / 2.0, 54, note_font, HAlign::center, VAlign::baseline, kMuted);

  for (int64_t t = 0; t < c; ++t) {
    const int64_t support = matrix.support(t);
    for (int64_t p = 0; p < c; ++p) {
      const int64_t count = matrix.at(t, p);
      const double share = support > 0 ? static_cast<double>(count) / support : 0.0;
      const Color color = blues(share);
      const double x = left + p * cell, y = top + t * cell;
      canvas.fill_rect(x, y, cell, cell, color);
      if (!show_counts) continue;
      const double cx = x + cell / 2, cy = y + cell / 2;
      const std::string text = std::to_string(count);
      const Color ink = count == 0 ? Color{0.72, 0.76, 0.82} : text_color_on(color);
      const Font count_font =
          fitting_font(measure, text, {std::min(15.0, cell * 0.36), count > 0}, cell - 6);
      if (show_percent && count > 0) {
        canvas.text(text, cx, cy - 1, count_font, HAlign::center, VAlign::bottom, ink);
        // A few stray samples should not read as "0%".
        const int64_t percent_rounded = std::llround(100 * share);
        const std::string percent =
            percent_rounded == 0 ? "<1%" : fmt::format("{}%", percent_rounded);
        canvas.text(percent, cx, cy + 2, {10.5}, HAlign::center, VAlign::top, ink);
      } else {
        canvas.text(text, cx, cy, count_font, HAlign::center, VAlign::middle, ink);
      }
    }
  }
  if (c <= 30) {  // thin white separators; at 100 classes they would be all one sees
    for (int64_t i = 1; i < c; ++i) {
      canvas.line(left + i * cell, top, left + i * cell, top + matrix_size, kWhite, 1);
      canvas.line(left, top + i * cell, left + matrix_size, top + i * cell, kWhite, 1);
    }
  }
  canvas.stroke_rect(std::round(left) + 0.5, top + 0.5, matrix_size, matrix_size, kMuted, 1);

  for (int64_t i = 0; i < c; ++i) {
    const double center = i * cell + cell / 2;
    canvas.text(names[i], left - 8, top + center, name_font, HAlign::right, VAlign::middle);
    const double x = left + center, y = top + matrix_size + 8;
    if (x_angle == 0) {
      canvas.text(names[i], x, y, name_font, HAlign::center, VAlign::top);
    } else {
      canvas.text(names[i], x + (x_angle == 90 ? name_height / 3 : 0), y, name_font, HAlign::right,
                  VAlign::middle, kInk, x_angle);
    }
  }
  canvas.text("Predicted class", left + matrix_size / 2, top + matrix_size + 10 + x_depth + 16,
              axis_font, HAlign::center, VAlign::top);
  canvas.text("True class", left - name_width - 22, top + matrix_size / 2, axis_font,
              HAlign::center, VAlign::bottom, kInk, 90);

  // The colour bar: the share of the true class, 0% to 100%.
  const double bar_x = left + matrix_size + bar_gap;
  const int steps = static_cast<int>(matrix_size);
  for (int i = 0; i < steps; ++i) {
    canvas.fill_rect(bar_x, top + matrix_size - i - 1, bar_width, 1.5, blues((i + 0.5) / steps));
  }
  canvas.stroke_rect(bar_x + 0.5, top + 0.5, bar_width, matrix_size, kMuted, 1);
  for (int percent = 0; percent <= 100; percent += 20) {
    const double y = std::round(top + matrix_size * (1 - percent / 100.0)) + 0.5;
    canvas.line(bar_x + bar_width, y, bar_x + bar_width + 4, y, kMuted, 1);
    canvas.text(fmt::format("{}%", percent), bar_x + bar_width + 8, y, note_font, HAlign::left,
                VAlign::middle, kMuted);
  }
  canvas.write_png(path);
  return {width, height};
}

namespace {

struct Series {
  std::string name;
  std::vector<double> x, y;
  Color color;
};

// One panel of plot_curves: the series as lines with markers, NaN breaking the line.
void draw_panel(Canvas& canvas, const Axes& axes, const std::vector<Series>& series,
                const std::string& title, const std::string& y_label, int64_t best_epoch,
                bool markers) {
  const Ticks x_ticks = nice_ticks(axes.x_min, axes.x_max, 10, true);
  const Ticks y_ticks = nice_ticks(axes.y_min, axes.y_max, 7);
  draw_axes(canvas, axes, x_ticks, y_ticks, "epoch", y_label, title);
  cairo_t* cr = canvas.cr();
  cairo_save(cr);
  cairo_rectangle(cr, axes.left, axes.top, axes.width, axes.height);
  cairo_clip(cr);
  std::vector<LegendEntry> legend;
  std::vector<std::pair<double, double>> points;
  if (best_epoch > 0) {
    const double x = std::round(axes.px(static_cast<double>(best_epoch))) + 0.5;
    canvas.line(x, axes.top, x, axes.top + axes.height, kMuted, 1.5, true);
    legend.push_back(
        {fmt::format("best epoch ({})", best_epoch), kMuted, LegendEntry::Style::dashed});
  }
  for (const Series& s : series) {
    for (size_t i = 0; i + 1 < s.x.size(); ++i) {
      if (std::isnan(s.y[i]) || std::isnan(s.y[i + 1])) continue;
      canvas.line(axes.px(s.x[i]), axes.py(s.y[i]), axes.px(s.x[i + 1]), axes.py(s.y[i + 1]),
                  s.color, 2.2);
    }
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (std::isnan(s.y[i])) continue;
      points.emplace_back(axes.px(s.x[i]), axes.py(s.y[i]));
      // A lone point (one epoch, or between NaNs) needs its marker to be seen at all.
      const bool alone =
          (i == 0 || std::isnan(s.y[i - 1])) && (i + 1 == s.x.size() || std::isnan(s.y[i + 1]));
      if (markers || alone)
        canvas.circle(points.back().first, points.back().second, 3.2, s.color, kWhite);
    }
    legend.insert(legend.end() - (best_epoch > 0 ? 1 : 0), {s.name, s.color});
  }
  cairo_restore(cr);
  draw_legend(canvas, axes, legend, points);
}

// [lo, hi] of the finite values, padded, and kept inside [0, 1] for scores that are.
std::pair<double, double> value_range(const std::vector<Series>& series, bool unit_interval) {
  double lo = INFINITY, hi = -INFINITY;
  for (const Series& s : series) {
    for (double v : s.y) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) return {0, 1};
  const bool within_unit = unit_interval && lo >= 0 && hi <= 1;
  // A short history (one epoch, a flat metric) should not blow noise up to the full panel.
  const double min_span = unit_interval ? 0.1 : std::max(0.1 * std::fabs(hi), 1e-3);
  if (hi - lo < min_span) {
    const double center = (hi + lo) / 2;
    lo = center - min_span / 2;
    hi = center + min_span / 2;
  }
  const double pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  if (within_unit) return {std::max(lo, 0.0), std::min(hi, 1.0)};
  return {lo, hi};
}

}  // namespace

PlotSize plot_curves(const std::filesystem::path& path, const std::vector<EpochRecord>& history,
                     const CurvesOptions& options) {
  FOVEA_CHECK(!history.empty(), "plot_curves('{}'): the history has no epochs", path.string());
  std::vector<double> epochs;
  for (const EpochRecord& record : history) epochs.push_back(static_cast<double>(record.epoch));
  const auto make_series = [&](const char* column, const char* name, size_t color) {
    Series s{name, epochs, {}, palette(color)};
    for (const EpochRecord& record : history) s.y.push_back(record.value(column));
    return s;
  };
  const auto present = [](std::vector<Series> all) {
    std::erase_if(all, [](const Series& s) {
      return std::none_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
    });
    return all;
  };
  const std::vector<Series> losses =
      present({make_series("train_loss", "train loss", 0), make_series("val_loss", "val loss", 1)});
  const std::vector<Series> scores = present({make_series("train_acc", "train accuracy", 0),
                                              make_series("val_acc", "val accuracy", 1),
                                              make_series("val_macro_f1", "val macro-F1", 2)});

  const double panel_width = 600, panel_height = 380, left = 90, gap = 120, top = 96;
  const int width = static_cast<int>(left + panel_width + gap + panel_width + 30);
  const int height = static_cast<int>(top + panel_height + 74);
  Canvas canvas(width, height);
  canvas.text(options.title.empty() ? "Training curves" : options.title, width / 2.0, 34,
              {18, true}, HAlign::center, VAlign::baseline);
  canvas.text(fmt::format("{} epoch{}", history.size(), history.size() == 1 ? "" : "s"),
              width / 2.0, 56, {12}, HAlign::center, VAlign::baseline, kMuted);

  const double first = epochs.front(), last = epochs.back();
  const double pad = std::max(0.5, (last - first) * 0.04);
  Axes axes{left, top, panel_width, panel_height, first - pad, last + pad, 0, 1};
  const bool markers = history.size() <= 40;
  std::tie(axes.y_min, axes.y_max) = value_range(losses, false);
  draw_panel(canvas, axes, losses, "Loss", "loss", options.best_epoch, markers);
  axes.left += panel_width + gap;
  std::tie(axes.y_min, axes.y_max) = value_range(scores, true);
  draw_panel(canvas, axes, scores, "Accuracy and macro-F1", "score", options.best_epoch, markers);
  canvas.write_png(path);
  return {width, height};
}

PlotSize plot_bars(const std::filesystem::path& path, const std::vector<std::string>& labels,
                   const std::vector<BarSeries>& series, const BarOptions& options) {
  const size_t groups = labels.size();
  FOVEA_CHECK(groups > 0 && !series.empty(),
              "plot_bars('{}'): {} labels and {} series; need some of both", path.string(), groups,
              series.size());
  double lo = 0, hi = 0;
  for (const BarSeries& s : series) {
    FOVEA_CHECK(s.values.size() == groups,
                "plot_bars('{}'): series '{}' has {} values for {} labels", path.string(), s.name,
                s.values.size(), groups);
    for (double v : s.values) {
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  const size_t count = series.size();
  const double bar = count <= 2 ? 40 : std::clamp(std::round(120.0 / count), 16.0, 40.0);
  const double group_width = count * bar + std::max(44.0, 1.2 * bar);
  const Font label_font{12}, value_font{11};
  TextMeasurer measure;
  std::vector<std::string> names;
  double label_width = 0;
  for (const std::string& label : labels) {
    names.push_back(ellipsize(label, 32));
    label_width = std::max(label_width, measure.width(names.back(), label_font));
  }
  const double angle = label_width <= group_width - 8 ? 0 : 30;
  const double label_height = measure.height(label_font);
  const double depth = angle == 0 ? label_height : rotated_depth(label_width, label_height, angle);

  const double plot_width = std::max(560.0, groups * group_width);
  const double left = 90, top = 104, plot_height = 380;
  const double reach_left = angle == 0 ? 0 : label_width * std::cos(angle * std::numbers::pi / 180);
  const double extra_left = std::max(0.0, reach_left - group_width / 2 - left + 20);
  const int width = static_cast<int>(std::ceil(left + extra_left + plot_width + 30));
  const int height = static_cast<int>(std::ceil(top + plot_height + 12 + depth + 20));
  Canvas canvas(width, height);
  canvas.text(options.title.empty() ? "Comparison" : options.title, width / 2.0, 34, {18, true},
              HAlign::center, VAlign::baseline);

  // The legend: one row under the title, where it can never hide a bar.
  std::vector<double> entry_widths;
  double legend_width = 0;
  for (const BarSeries& s : series) {
    entry_widths.push_back(22 + measure.width(s.name, label_font) + 22);
    legend_width += entry_widths.back();
  }
  double lx = (width - legend_width) / 2;
  for (size_t k = 0; k < count; ++k) {
    canvas.fill_rect(lx, 62, 14, 14, palette(k));
    canvas.text(series[k].name, lx + 20, 69, label_font, HAlign::left, VAlign::middle);
    lx += entry_widths[k];
  }

  // The axis ends on a tick, with head room above the tallest bar for its value label.
  Ticks y_ticks = nice_ticks(lo, hi + (hi - lo) * 0.1, 7);
  while (y_ticks.values.back() < hi + (hi - lo) * 0.1) {
    y_ticks.values.push_back(y_ticks.values.back() + y_ticks.step);
  }
  Axes axes{left + extra_left,           top, plot_width,           plot_height, 0,
            static_cast<double>(groups), lo,  y_ticks.values.back()};
  draw_axes(canvas, axes, Ticks{}, y_ticks, "", options.y_label, "");
  for (size_t g = 0; g < groups; ++g) {
    const double center = axes.px(g + 0.5);
    const double start = center - count * bar / 2;
    for (size_t k = 0; k < count; ++k) {
      const double v = series[k].values[g];
      const double x = start + k * bar;
      const std::string text =
          std::isfinite(v) ? fmt::format("{:.{}f}", v, options.decimals) : "n/a";
      const double zero = axes.py(0), end = std::isfinite(v) ? axes.py(v) : zero;
      if (std::isfinite(v)) {
        canvas.fill_rect(x + 1, std::min(zero, end), bar - 2, std::fabs(zero - end), palette(k));
      }
      const Font font = fitting_font(measure, text, value_font, bar + 6);
      canvas.text(text, x + bar / 2, std::min(zero, end) - 4, font, HAlign::center, VAlign::bottom,
                  kInk);
    }
    const double y = top + plot_height + 10;
    if (angle == 0) {
      canvas.text(names[g], center, y, label_font, HAlign::center, VAlign::top);
    } else {
      canvas.text(names[g], center, y + label_height / 2, label_font, HAlign::right, VAlign::middle,
                  kInk, angle);
    }
  }
  if (lo < 0) canvas.line(axes.left, axes.py(0), axes.left + axes.width, axes.py(0), kMuted, 1);
  canvas.write_png(path);
  return {width, height};
}

}  // namespace fovea::train
