#pragma once
// Drawing helpers shared by the charts of train/plot.cpp, on top of cairo: a canvas that
// writes itself as a PNG, aligned and rotated text, tick positions, axes with grid lines,
// legends, and the colours. Internal to train/; the charts are the public API.
#include <cairo.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fovea::train::plotting {

struct Color {
  double r = 0, g = 0, b = 0, a = 1;
};

inline constexpr Color kInk{0.13, 0.13, 0.13};    // text and frames
inline constexpr Color kMuted{0.40, 0.40, 0.40};  // tick labels, notes
inline constexpr Color kGrid{0.90, 0.90, 0.90};
inline constexpr Color kWhite{1, 1, 1};
inline constexpr const char* kFontFamily = "DejaVu Sans";

// Tableau 10, matplotlib's default cycle: distinct, and readable by most colour-blind eyes.
Color palette(size_t index);
// ColorBrewer "Blues" (matplotlib's Blues, as sklearn's ConfusionMatrixDisplay uses), from
// almost white at 0 to dark blue at 1.
Color blues(double t);
// Black or white, whichever reads better on `background`.
Color text_color_on(Color background);

enum class HAlign { left, center, right };
enum class VAlign { top, middle, baseline, bottom };

struct Font {
  double size = 12;
  bool bold = false;
};

// Text measurement before a canvas exists (to size the canvas around its labels).
class TextMeasurer {
 public:
  TextMeasurer();
  ~TextMeasurer();
  TextMeasurer(const TextMeasurer&) = delete;
  TextMeasurer& operator=(const TextMeasurer&) = delete;
  double width(const std::string& text, Font font);
  double height(Font font);  // ascent + descent

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

class Canvas {
 public:
  Canvas(int width, int height);  // filled white
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  cairo_t* cr() const { return cr_; }
  int width() const { return width_; }
  int height() const { return height_; }

  // Text whose anchor (x, y) sits where the alignment says, turned by angle_degrees
  // counter-clockwise around the anchor.
  void text(const std::string& text, double x, double y, Font font, HAlign h, VAlign v,
            Color color = kInk, double angle_degrees = 0);
  void fill_rect(double x, double y, double w, double h, Color color);
  void stroke_rect(double x, double y, double w, double h, Color color, double line_width);
  void line(double x0, double y0, double x1, double y1, Color color, double line_width,
            bool dashed = false);
  void circle(double x, double y, double radius, Color fill, Color stroke);

  // Encodes the PNG in memory and writes it atomically; throws fovea::Error on failure.
  void write_png(const std::filesystem::path& path);

 private:
  int width_, height_;
  cairo_surface_t* surface_;
  cairo_t* cr_;
};

// Round tick values covering [lo, hi] (about max_ticks of them, steps of 1, 2, 2.5 or 5
// times a power of ten) and the decimals their labels need.
struct Ticks {
  std::vector<double> values;
  double step = 1;
  int decimals = 0;
};
Ticks nice_ticks(double lo, double hi, int max_ticks, bool integers = false);
std::string tick_label(double value, int decimals);

// At most max_chars characters (UTF-8 aware), the last one an ellipsis when cut.
std::string ellipsize(const std::string& text, size_t max_chars);

// A plot area in pixels and the data range it shows.
struct Axes {
  double left = 0, top = 0, width = 0, height = 0;
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  double px(double x) const { return left + (x - x_min) / (x_max - x_min) * width; }
  double py(double y) const { return top + height - (y - y_min) / (y_max - y_min) * height; }
};

// Grid lines, the frame, tick labels, the axis titles and the panel title.
void draw_axes(Canvas& canvas, const Axes& axes, const Ticks& x_ticks, const Ticks& y_ticks,
               const std::string& x_label, const std::string& y_label, const std::string& title);

struct LegendEntry {
  std::string name;
  Color color;
  enum class Style { line, box, dashed } style = Style::line;
};
// Draws the legend in the corner of `axes` that covers the fewest of `points` (pixel
// positions of the data), as matplotlib's loc="best" does.
void draw_legend(Canvas& canvas, const Axes& axes, const std::vector<LegendEntry>& entries,
                 const std::vector<std::pair<double, double>>& points);

}  // namespace fovea::train::plotting
