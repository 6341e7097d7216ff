#include "train/plot_canvas.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/error.h"
#include "train/report.h"

namespace fovea::train::plotting {

namespace {

Color from_hex(unsigned rgb) {
  return {((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0};
}

void set_color(cairo_t* cr, Color c) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

void set_font(cairo_t* cr, Font font) {
  cairo_select_font_face(cr, kFontFamily, CAIRO_FONT_SLANT_NORMAL,
                         font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, font.size);
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Color palette(size_t index) {
  static const unsigned kTableau[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                      0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
  return from_hex(kTableau[index % 10]);
}

Color blues(double t) {
  static const unsigned kStops[] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                    0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
  const double position = std::clamp(t, 0.0, 1.0) * 8;
  const int i = std::min(static_cast<int>(position), 7);
  const double f = position - i;
  const Color a = from_hex(kStops[i]), b = from_hex(kStops[i + 1]);
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

Color text_color_on(Color background) {
  const double luminance = 0.2126 * background.r + 0.7152 * background.g + 0.0722 * background.b;
  return luminance < 0.5 ? kWhite : kInk;
}

TextMeasurer::TextMeasurer()
    : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1)), cr_(cairo_create(surface_)) {}

TextMeasurer::~TextMeasurer() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

double TextMeasurer::width(const std::string& text, Font font) {
  set_font(cr_, font);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, text.c_str(), &extents);
  return extents.x_advance;
}

double TextMeasurer::height(Font font) {
  set_font(cr_, font);
  cairo_font_extents_t extents;
  cairo_font_extents(cr_, &extents);
  return extents.ascent + extents.descent;
}

Canvas::Canvas(int width, int height)
    : width_(width),
      height_(height),
      surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)),
      cr_(cairo_create(surface_)) {
  FOVEA_CHECK(cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS,
              "plot: cannot create a {}x{} image: {}", width, height,
              cairo_status_to_string(cairo_surface_status(surface_)));
  set_color(cr_, kWhite);
  cairo_paint(cr_);
}

Canvas::~Canvas() {
  cairo_destroy(cr_);
  cairo_surface_destroy(surface_);
}

void Canvas::text(const std::string& text, double x, double y, Font font, HAlign h, VAlign v,
                  Color color, double angle_degrees) {
  set_font(cr_, font);
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, text.c_str(), &extents);
  cairo_font_extents_t font_extents;
  cairo_font_extents(cr_, &font_extents);
  // Vertical placement uses the font's ascent and descent rather than each string's ink,
  // so that labels in a row share one baseline.
  const double dx = h == HAlign::left     ? 0
                    : h == HAlign::center ? -extents.x_advance / 2
                                          : -extents.x_advance;
  double dy = 0;
  switch (v) {
    case VAlign::top:
      dy = font_extents.ascent;
      break;
    case VAlign::middle:
      dy = (font_extents.ascent - font_extents.descent) / 2;
      break;
    case VAlign::baseline:
      dy = 0;
      break;
    case VAlign::bottom:
      dy = -font_extents.descent;
      break;
  }
  cairo_save(cr_);
  cairo_translate(cr_, x, y);
  cairo_rotate(cr_, -angle_degrees * std::numbers::pi / 180);
  cairo_move_to(cr_, dx, dy);
  set_color(cr_, color);
  cairo_show_text(cr_, text.c_str());
  cairo_restore(cr_);
}

void Canvas::fill_rect(double x, double y, double w, double h, Color color) {
  cairo_rectangle(cr_, x, y, w, h);
  set_color(cr_, color);
  cairo_fill(cr_);
}

void Canvas::stroke_rect(double x, double y, double w, double h, Color color, double line_width) {
  cairo_rectangle(cr_, x, y, w, h);
  set_color(cr_, color);
  cairo_set_line_width(cr_, line_width);
  cairo_stroke(cr_);
}

void Canvas::line(double x0, double y0, double x1, double y1, Color color, double line_width,
                  bool dashed) {
  cairo_save(cr_);
  if (dashed) {
    const double pattern[] = {6, 4};
    cairo_set_dash(cr_, pattern, 2, 0);
  }
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  set_color(cr_, color);
  cairo_set_line_width(cr_, line_width);
  cairo_stroke(cr_);
  cairo_restore(cr_);
}

void Canvas::circle(double x, double y, double radius, Color fill, Color stroke) {
  cairo_new_sub_path(cr_);
  cairo_arc(cr_, x, y, radius, 0, 2 * std::numbers::pi);
  set_color(cr_, fill);
  cairo_fill_preserve(cr_);
  set_color(cr_, stroke);
  cairo_set_line_width(cr_, 1.2);
  cairo_stroke(cr_);
}

void Canvas::write_png(const std::filesystem::path& path) {
  cairo_surface_flush(surface_);
  std::string png;
  const cairo_status_t status = cairo_surface_write_to_png_stream(surface_, append_to_string, &png);
  FOVEA_CHECK(status == CAIRO_STATUS_SUCCESS, "plot: cannot encode '{}' as PNG: {}", path.string(),
              cairo_status_to_string(status));
  write_file_atomically(path, png);
}

Ticks nice_ticks(double lo, double hi, int max_ticks, bool integers) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / std::max(max_ticks - 1, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  Ticks ticks;
  ticks.step = 10 * magnitude;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (integers && m == 2.5) continue;  // epochs 1, 3.5, 6 are not epochs
    if (m * magnitude >= raw) {
      ticks.step = m * magnitude;
      break;
    }
  }
  if (integers) ticks.step = std::max(1.0, std::round(ticks.step));
  const double step = ticks.step;
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double v = first; v <= hi + step * 1e-9; v += step) {
    ticks.values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  if (!integers) {
    ticks.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    if (std::fmod(step / std::pow(10.0, -ticks.decimals), 1.0) > 1e-6) ++ticks.decimals;  // 2.5
  }
  return ticks;
}

std::string tick_label(double value, int decimals) {
  return fmt::format("{:.{}f}", value, decimals);
}

std::string ellipsize(const std::string& text, size_t max_chars) {
  size_t chars = 0, cut = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) continue;  // UTF-8 continuation
    if (chars == max_chars - 1) cut = i;
    if (++chars > max_chars) return text.substr(0, cut) + "…";
  }
  return text;
}

void draw_axes(Canvas& canvas, const Axes& a, const Ticks& x_ticks, const Ticks& y_ticks,
               const std::string& x_label, const std::string& y_label, const std::string& title) {
  const Font tick_font{12}, label_font{13}, title_font{15, true};
  for (double y : y_ticks.values) {
    const double py = std::round(a.py(y)) + 0.5;
    canvas.line(a.left, py, a.left + a.width, py, kGrid, 1);
    canvas.line(a.left - 5, py, a.left, py, kMuted, 1);
    canvas.text(tick_label(y, y_ticks.decimals), a.left - 9, py, tick_font, HAlign::right,
                VAlign::middle, kMuted);
  }
  for (double x : x_ticks.values) {
    const double px = std::round(a.px(x)) + 0.5;
    canvas.line(px, a.top, px, a.top + a.height, kGrid, 1);
    canvas.line(px, a.top + a.height, px, a.top + a.height + 5, kMuted, 1);
    canvas.text(tick_label(x, x_ticks.decimals), px, a.top + a.height + 9, tick_font,
                HAlign::center, VAlign::top, kMuted);
  }
  canvas.stroke_rect(std::round(a.left) + 0.5, std::round(a.top) + 0.5, std::round(a.width),
                     std::round(a.height), kMuted, 1);
  if (!x_label.empty()) {
    canvas.text(x_label, a.left + a.width / 2, a.top + a.height + 34, label_font, HAlign::center,
                VAlign::top);
  }
  if (!y_label.empty()) {
    canvas.text(y_label, a.left - 58, a.top + a.height / 2, label_font, HAlign::center,
                VAlign::bottom, kInk, 90);
  }
  if (!title.empty()) {
    canvas.text(title, a.left + a.width / 2, a.top - 12, title_font, HAlign::center,
                VAlign::bottom);
  }
}

void draw_legend(Canvas& canvas, const Axes& a, const std::vector<LegendEntry>& entries,
                 const std::vector<std::pair<double, double>>& points) {
  if (entries.empty()) return;
  const Font font{12};
  TextMeasurer measure;
  double text_width = 0;
  for (const LegendEntry& entry : entries)
    text_width = std::max(text_width, measure.width(entry.name, font));
  const double row = 20, pad = 10, swatch = 26;
  const double w = pad + swatch + 8 + text_width + pad, h = pad + row * entries.size() + pad - 4;
  const double inset = 10;
  // The four corners, in matplotlib's order of preference for ties.
  const std::pair<double, double> corners[] = {
      {a.left + a.width - inset - w, a.top + inset},
      {a.left + inset, a.top + inset},
      {a.left + inset, a.top + a.height - inset - h},
      {a.left + a.width - inset - w, a.top + a.height - inset - h}};
  size_t best = 0, best_covered = SIZE_MAX;
  for (size_t i = 0; i < 4; ++i) {
    const auto [x, y] = corners[i];
    const size_t covered = std::count_if(points.begin(), points.end(), [&](const auto& p) {
      return p.first >= x - 4 && p.first <= x + w + 4 && p.second >= y - 4 && p.second <= y + h + 4;
    });
    if (covered < best_covered) best = i, best_covered = covered;
  }
  const auto [x, y] = corners[best];
  canvas.fill_rect(x, y, w, h, {1, 1, 1, 0.92});
  canvas.stroke_rect(x + 0.5, y + 0.5, w, h, {0.8, 0.8, 0.8}, 1);
  for (size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& entry = entries[i];
    const double cy = y + pad + row * i + row / 2 - 2;
    const double sx = x + pad;
    switch (entry.style) {
      case LegendEntry::Style::box:
        canvas.fill_rect(sx + 4, cy - 6, swatch - 8, 12, entry.color);
        break;
      case LegendEntry::Style::dashed:
        canvas.line(sx, cy, sx + swatch, cy, entry.color, 1.5, true);
        break;
      case LegendEntry::Style::line:
        canvas.line(sx, cy, sx + swatch, cy, entry.color, 2.2);
        canvas.circle(sx + swatch / 2, cy, 3.2, entry.color, kWhite);
        break;
    }
    canvas.text(entry.name, sx + swatch + 8, cy, font, HAlign::left, VAlign::middle);
  }
}

}  // namespace fovea::train::plotting
