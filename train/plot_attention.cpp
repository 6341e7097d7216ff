// plot_attention_overlay (train/plot.h): an image and its attention heat map.
#include <algorithm>

#include "train/plot.h"
#include "train/plot_canvas.h"

namespace fovea::train {

using namespace plotting;

namespace {

// A cairo surface holding `image` (gray images are shown as gray RGB).
cairo_surface_t* image_surface(const data::Image& image) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, image.width, image.height);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  for (int y = 0; y < image.height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + y * stride);
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p = &image.pixels[(static_cast<size_t>(y) * image.width + x) * image.channels];
      const uint32_t r = p[0], g = p[image.channels > 1 ? 1 : 0], b = p[image.channels > 2 ? 2 : 0];
      row[x] = (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty(surface);
  return surface;
}

// The heat map, min-max scaled, as translucent red-to-yellow (premultiplied ARGB).
cairo_surface_t* heat_surface(const Tensor& heat) {
  const int h = static_cast<int>(heat.size(0)), w = static_cast<int>(heat.size(1));
  const std::vector<float> values = heat.to_vector<float>();
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const float span = std::max(*hi - *lo, 1e-12f);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  for (int y = 0; y < h; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + y * stride);
    for (int x = 0; x < w; ++x) {
      const double t = (values[static_cast<size_t>(y) * w + x] - *lo) / span;
      const double alpha = 0.15 + 0.6 * t;
      const auto channel = [alpha](double c) { return static_cast<uint32_t>(255.0 * c * alpha); };
      row[x] = (static_cast<uint32_t>(255.0 * alpha) << 24) | (channel(1.0) << 16) |
               (channel(t) << 8) | channel(0.0);
    }
  }
  cairo_surface_mark_dirty(surface);
  return surface;
}

}  // namespace

PlotSize plot_attention_overlay(const std::filesystem::path& path, const data::Image& image,
                                const Tensor& heat, const std::string& title) {
  FOVEA_CHECK(heat.dim() == 2 && heat.numel() > 0,
              "plot_attention_overlay: the heat map must be [h, w], got {}", shape_str(heat.shape()));
  constexpr int kPad = 16, kTitle = 36;
  const int w = image.width, h = image.height;
  Canvas canvas(2 * w + 3 * kPad, h + kTitle + kPad);
  canvas.text(title, canvas.width() / 2.0, kTitle / 2.0, Font{15, true}, HAlign::center, VAlign::middle);
  cairo_t* cr = canvas.cr();
  cairo_surface_t* picture = image_surface(image);
  cairo_surface_t* overlay = heat_surface(heat);
  for (int panel = 0; panel < 2; ++panel) {
    const double left = kPad + panel * (w + kPad);
    cairo_set_source_surface(cr, picture, left, kTitle);
    cairo_paint(cr);
    if (panel == 1) {
      cairo_save(cr);
      cairo_translate(cr, left, kTitle);
      cairo_scale(cr, static_cast<double>(w) / heat.size(1), static_cast<double>(h) / heat.size(0));
      cairo_set_source_surface(cr, overlay, 0, 0);
      cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_BILINEAR);
      cairo_paint(cr);
      cairo_restore(cr);
    }
  }
  cairo_surface_destroy(picture);
  cairo_surface_destroy(overlay);
  canvas.write_png(path);
  return {canvas.width(), canvas.height()};
}

}  // namespace fovea::train
