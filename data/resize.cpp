#include "data/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/error.h"

namespace fovea::data {

namespace {

double triangle(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Keys (1981) cubic convolution with a = -0.5, as in PIL's bicubic filter.
double keys_cubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// The taps of a 1-D resampling: output i reads `count[i]` source pixels from `first[i]`
// with weights weights[i * max_taps + k].
struct Taps {
  std::vector<int> first, count;
  std::vector<float> weights;
  int max_taps = 0;
};

// The window [begin, begin + size) of the source pixels [0, in_size) resampled to out_size
// pixels; only those pixels are read. A whole-pixel window has begin 0 and size in_size.
Taps compute_taps(double begin, double size, int in_size, int out_size,
                  Interpolation interpolation) {
  const double scale = size / out_size;
  const double stretch = std::max(scale, 1.0);
  double support = 0.0;
  switch (interpolation) {
    case Interpolation::nearest:
      support = 0.5;
      break;
    case Interpolation::bilinear:
      support = 1.0 * stretch;
      break;
    case Interpolation::bicubic:
      support = 2.0 * stretch;
      break;
    case Interpolation::area:
      support = 0.5 * std::max(scale, 1.0) + 1.0;
      break;
  }
  Taps taps;
  taps.max_taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.max_taps, 0.0f);
  std::vector<double> w(taps.max_taps);
  for (int i = 0; i < out_size; ++i) {
    const double center = begin + (i + 0.5) * scale;
    if (interpolation == Interpolation::nearest) {
      taps.first[i] = std::clamp(static_cast<int>(std::floor(center)), 0, in_size - 1);
      taps.count[i] = 1;
      taps.weights[static_cast<size_t>(i) * taps.max_taps] = 1.0f;
      continue;
    }
    const int lo = std::max(static_cast<int>(std::floor(center - support + 0.5)), 0);
    const int hi = std::min(static_cast<int>(std::floor(center + support + 0.5)), in_size);
    double total = 0.0;
    int n = 0;
    for (int x = lo; x < hi && n < taps.max_taps; ++x, ++n) {
      if (interpolation == Interpolation::area) {
        // Overlap of source pixel [x, x + 1) with the footprint [i, i + 1) * scale.
        w[n] = std::max(0.0, std::min(x + 1.0, begin + (i + 1) * scale) -
                                 std::max<double>(x, begin + i * scale));
      } else {
        const double t = (x + 0.5 - center) / stretch;
        w[n] = interpolation == Interpolation::bilinear ? triangle(t) : keys_cubic(t);
      }
      total += w[n];
    }
    taps.first[i] = lo;
    taps.count[i] = n;
    for (int k = 0; k < n; ++k) {
      taps.weights[static_cast<size_t>(i) * taps.max_taps + k] =
          static_cast<float>(total != 0.0 ? w[k] / total : 0.0);
    }
  }
  return taps;
}

// Written with min/max rather than std::clamp so that it compiles without branches.
uint8_t to_u8(float v) {
  return static_cast<uint8_t>(
      static_cast<int>(std::nearbyint(std::min(std::max(v, 0.0f), 255.0f))));
}

// Along x, first, over the box rows that some output row reads: floats
// [rows][out_width][C]. The channels of a pixel are summed together, so that with C known
// at compile time the C accumulators stay in registers.
template <int C>
void resample_rows(const Image& src, const Rect& box, const Taps& taps, int out_width, int channels,
                   float* out) {
  const int c_count = C > 0 ? C : channels;
  std::vector<float> acc(c_count);
  for (int y = 0; y < box.height; ++y) {
    const uint8_t* row = src.row(box.top + y) + static_cast<size_t>(box.left) * c_count;
    float* dst = out + static_cast<size_t>(y) * out_width * c_count;
    for (int x = 0; x < out_width; ++x) {
      const float* w = taps.weights.data() + static_cast<size_t>(x) * taps.max_taps;
      const uint8_t* p = row + static_cast<size_t>(taps.first[x]) * c_count;
      if constexpr (C > 0) {
        float sum[C] = {};
        for (int k = 0; k < taps.count[x]; ++k) {
          for (int c = 0; c < C; ++c) sum[c] += w[k] * p[k * C + c];
        }
        for (int c = 0; c < C; ++c) dst[x * C + c] = sum[c];
      } else {
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int k = 0; k < taps.count[x]; ++k) {
          for (int c = 0; c < c_count; ++c) acc[c] += w[k] * p[k * c_count + c];
        }
        for (int c = 0; c < c_count; ++c) dst[x * c_count + c] = acc[c];
      }
    }
  }
}

}  // namespace

Interpolation parse_interpolation(const std::string& name) {
  if (name == "nearest") return Interpolation::nearest;
  if (name == "bilinear") return Interpolation::bilinear;
  if (name == "bicubic") return Interpolation::bicubic;
  if (name == "area") return Interpolation::area;
  fail("unknown interpolation '{}': expected nearest, bilinear, bicubic or area", name);
}

const char* interpolation_name(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::nearest:
      return "nearest";
    case Interpolation::bilinear:
      return "bilinear";
    case Interpolation::bicubic:
      return "bicubic";
    case Interpolation::area:
      return "area";
  }
  return "?";
}

Image resize(const Image& source, int height, int width, Interpolation interpolation, Rect box) {
  if (box.height == 0 && box.width == 0) box = {0, 0, source.height, source.width};
  FOVEA_CHECK(box.top >= 0 && box.left >= 0 && box.height > 0 && box.width > 0 &&
                  box.top + box.height <= source.height && box.left + box.width <= source.width,
              "resize: box (top {}, left {}, {}x{}) is not inside the {}x{} image", box.top,
              box.left, box.height, box.width, source.height, source.width);
  return resize_region(source, height, width, interpolation,
                       {static_cast<double>(box.top), static_cast<double>(box.left),
                        static_cast<double>(box.height), static_cast<double>(box.width)});
}

Image resize_region(const Image& source, int height, int width, Interpolation interpolation,
                    const Region& region) {
  FOVEA_CHECK(region.top >= 0 && region.left >= 0 && region.height > 0 && region.width > 0 &&
                  region.top + region.height <= source.height &&
                  region.left + region.width <= source.width,
              "resize: region (top {}, left {}, {}x{}) is not inside the {}x{} image", region.top,
              region.left, region.height, region.width, source.height, source.width);
  FOVEA_CHECK(height > 0 && width > 0, "resize: output size must be positive, got {}x{}", height,
              width);
  // The whole pixels the region overlaps, and where the region starts inside them.
  const int top = static_cast<int>(std::floor(region.top));
  const int left = static_cast<int>(std::floor(region.left));
  const Rect box = {top, left, static_cast<int>(std::ceil(region.top + region.height)) - top,
                    static_cast<int>(std::ceil(region.left + region.width)) - left};
  const int channels = source.channels;
  const Taps across =
      compute_taps(region.left - left, region.width, box.width, width, interpolation);
  const Taps down =
      compute_taps(region.top - top, region.height, box.height, height, interpolation);
  // Only the rows some output row reads are resampled along x.
  const int first_row = down.first.front();
  const int last_row = down.first.back() + down.count.back();
  const Rect rows = {box.top + first_row, box.left, last_row - first_row, box.width};
  std::vector<float> horizontal(static_cast<size_t>(rows.height) * width * channels);
  switch (channels) {
    case 1:
      resample_rows<1>(source, rows, across, width, channels, horizontal.data());
      break;
    case 3:
      resample_rows<3>(source, rows, across, width, channels, horizontal.data());
      break;
    default:
      resample_rows<0>(source, rows, across, width, channels, horizontal.data());
      break;
  }
  // Along y: whole rows at a time, which vectorises.
  Image out(height, width, channels);
  const size_t row_floats = static_cast<size_t>(width) * channels;
  std::vector<float> sum(row_floats);
  for (int y = 0; y < height; ++y) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    const float* w = down.weights.data() + static_cast<size_t>(y) * down.max_taps;
    for (int k = 0; k < down.count[y]; ++k) {
      const float* in = horizontal.data() + (down.first[y] - first_row + k) * row_floats;
      const float weight = w[k];
      for (size_t i = 0; i < row_floats; ++i) sum[i] += weight * in[i];
    }
    uint8_t* dst = out.row(y);
    for (size_t i = 0; i < row_floats; ++i) dst[i] = to_u8(sum[i]);
  }
  return out;
}

Size2 scaled_size(int height, int width, int size, bool long_side) {
  const bool portrait = height > width;
  const int short_edge = portrait ? width : height, long_edge = portrait ? height : width;
  int new_short, new_long;
  if (long_side) {
    new_long = size;
    new_short = std::max(1, static_cast<int>(static_cast<int64_t>(size) * short_edge / long_edge));
  } else {
    new_short = size;
    new_long = static_cast<int>(static_cast<int64_t>(size) * long_edge / short_edge);
  }
  return portrait ? Size2{new_long, new_short} : Size2{new_short, new_long};
}

Image resize_short_side(const Image& source, int size, Interpolation interpolation) {
  const Size2 target = scaled_size(source.height, source.width, size);
  if (target.height == source.height && target.width == source.width) return source;
  return resize(source, target.height, target.width, interpolation);
}

}  // namespace fovea::data
