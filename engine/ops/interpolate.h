#pragma once
// Resizing NHWC images by interpolation, as torch.nn.functional.interpolate of PyTorch
// 1.13 computes it for 4-D inputs.
#include <array>
#include <optional>
#include <string>

#include "engine/tensor.h"

namespace fovea {

struct InterpolateOptions {
  // Exactly one of size (out_h, out_w) and scale_factor (h, w) is given. With a scale
  // factor the output is floor(in * factor), and source positions use 1 / factor, as in
  // PyTorch (where recompute_scale_factor is not set).
  std::optional<std::array<int64_t, 2>> size = std::nullopt;
  std::optional<std::array<double, 2>> scale_factor = std::nullopt;
  std::string mode = "nearest";  // nearest | bilinear | bicubic
  // Corner pixels of input and output are aligned (bilinear, bicubic only).
  bool align_corners = false;
};

// x: [N, H, W, C] -> [N, out_h, out_w, C]. Differentiable in every mode; bicubic uses
// A = -0.75 and reads the border pixel beyond the edges; nearest takes
// floor(dst * scale), PyTorch's "nearest" (not "nearest-exact").
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

}  // namespace fovea
