// window_partition / window_reverse (engine/ops/window_partition.h): argument checks, the
// geometry, and one device switch each way into engine/ops/cpu/window_partition.cpp or
// engine/ops/cuda/window_partition.cpp. The two are adjoint gathers, so each records
// the other as its backward.
#include "engine/ops/window_partition.h"

#include "engine/autograd.h"
#include "engine/ops/cpu/window_partition.h"
#include "engine/ops/cuda/window_partition.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/window_partition.h"

namespace fovea {

namespace {

using kernels::WindowPartitionShape;

constexpr const char* kPartition = "window_partition";
constexpr const char* kReverse = "window_reverse";

WindowPartitionShape geometry(const char* op, int64_t batch, int64_t height, int64_t width,
                              int64_t channels, Window window, Window shift) {
  FOVEA_CHECK(window[0] > 0 && window[1] > 0, "{}: the window must be positive, got {}x{}", op,
              window[0], window[1]);
  FOVEA_CHECK(height > 0 && width > 0, "{}: the grid must be non-empty, got {}x{}", op, height,
              width);
  WindowPartitionShape s;
  s.batch = batch;
  s.height = height;
  s.width = width;
  s.channels = channels;
  s.window_h = window[0];
  s.window_w = window[1];
  // Rolling by any multiple of the grid changes nothing: the kernels take [0, size).
  s.shift_h = (shift[0] % height + height) % height;
  s.shift_w = (shift[1] % width + width) % width;
  s.rows = (height + window[0] - 1) / window[0];
  s.cols = (width + window[1] - 1) / window[1];
  return s;
}

Shape windows_shape(const WindowPartitionShape& s) {
  return {s.batch * s.rows * s.cols, s.window_h * s.window_w, s.channels};
}

// The gathers, recording nothing.
Tensor partition_raw(const Tensor& x_in, const WindowPartitionShape& s) {
  NoGradGuard no_grad;
  const Tensor x = x_in.contiguous();
  Tensor out = make_tensor(windows_shape(s), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  switch (x.device().type) {
    case DeviceType::CPU:
      cpu::window_partition(x, out, s);
      break;
    case DeviceType::CUDA:
      cuda::window_partition(x, out, s);
      break;
  }
  return out;
}

Tensor reverse_raw(const Tensor& windows_in, const WindowPartitionShape& s) {
  NoGradGuard no_grad;
  const Tensor windows = windows_in.contiguous();
  Tensor out =
      make_tensor({s.batch, s.height, s.width, s.channels}, windows.dtype(), windows.device());
  if (out.numel() == 0) return out;
  switch (windows.device().type) {
    case DeviceType::CPU:
      cpu::window_reverse(windows, out, s);
      break;
    case DeviceType::CUDA:
      cuda::window_reverse(windows, out, s);
      break;
  }
  return out;
}

}  // namespace

Tensor window_partition(const Tensor& x, Window window, Window shift) {
  const profile::OpScope scope("window_partition", x);
  FOVEA_CHECK(x.defined() && x.dim() == 4, "{}: expected a grid [B, H, W, C], got {}", kPartition,
              x.defined() ? shape_str(x.shape()) : "an undefined tensor");
  const int64_t height = x.size(1), width = x.size(2);
  const WindowPartitionShape s =
      geometry(kPartition, x.size(0), height, width, x.size(3), window, shift);
  Tensor out = partition_raw(x, s);
  if (is_floating(x.dtype())) {
    record_op(kPartition, {x}, {out}, [window, height, width, shift](const BackwardContext& ctx) {
      return TensorList{window_reverse(ctx.grad(), window, height, width, shift)};
    });
  }
  return out;
}

Tensor window_reverse(const Tensor& windows, Window window, int64_t height, int64_t width,
                      Window shift) {
  const profile::OpScope scope("window_reverse", windows);
  FOVEA_CHECK(windows.defined() && windows.dim() == 3,
              "{}: expected windows [B * nW, Wh * Ww, C], got {}", kReverse,
              windows.defined() ? shape_str(windows.shape()) : "an undefined tensor");
  WindowPartitionShape s = geometry(kReverse, 1, height, width, windows.size(2), window, shift);
  const int64_t per_image = s.rows * s.cols;
  FOVEA_CHECK(windows.size(1) == window[0] * window[1] && windows.size(0) % per_image == 0,
              "{}: windows of shape {} do not tile a {}x{} grid with {}x{} windows: expected "
              "[B * {}, {}, C]",
              kReverse, shape_str(windows.shape()), height, width, window[0], window[1], per_image,
              window[0] * window[1]);
  s.batch = windows.size(0) / per_image;
  Tensor out = reverse_raw(windows, s);
  if (is_floating(windows.dtype())) {
    record_op(kReverse, {windows}, {out}, [window, shift](const BackwardContext& ctx) {
      return TensorList{window_partition(ctx.grad(), window, shift)};
    });
  }
  return out;
}

}  // namespace fovea
