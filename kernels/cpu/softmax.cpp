// CPU reference for softmax and log-softmax (kernels/softmax.h).
//
// Softmax along the last dim (inner == 1) walks one contiguous row per task. Along any
// other dim the elements of one softmax are `inner` apart, so instead of striding through
// memory one softmax at a time, a task takes a block of up to kLanes neighbouring softmaxes
// and sweeps the axis once per pass, reading kLanes contiguous elements per step.
#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vector_math.h"

namespace fovea::kernels::cpu {

namespace {

constexpr int64_t kLanes = 64;

// The maximum that lets a NaN through, so that a row holding NaN gives NaN as in PyTorch.
template <typename T>
T nan_max(T a, T b) {
  return (b > a || b != b) ? b : a;
}

// One softmax over `n` contiguous elements.
template <typename T>
void softmax_row(int64_t n, bool log, const T* x, T* y) {
  T max = x[0];
  for (int64_t k = 1; k < n; ++k) max = nan_max(max, x[k]);
  // The exponentials first, in a loop of their own that vectorises (y holds them for a
  // moment in the log case too), then their sum in order.
  for (int64_t k = 0; k < n; ++k) y[k] = exp_of(x[k] - max);
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += y[k];
  if (log) {
    const T shift = max + static_cast<T>(std::log(sum));
    for (int64_t k = 0; k < n; ++k) y[k] = x[k] - shift;
  } else {
    const T inv = static_cast<T>(1.0 / sum);
    for (int64_t k = 0; k < n; ++k) y[k] *= inv;
  }
}

template <typename T>
void softmax_row_backward(int64_t n, bool log, const T* y, const T* dy, T* dx) {
  double dot = 0;
  if (log) {
    for (int64_t k = 0; k < n; ++k) dot += dy[k];
    const T s = static_cast<T>(dot);
    for (int64_t k = 0; k < n; ++k) dx[k] = dy[k] - exp_of(y[k]) * s;
  } else {
    for (int64_t k = 0; k < n; ++k) dot += static_cast<double>(dy[k]) * y[k];
    const T s = static_cast<T>(dot);
    for (int64_t k = 0; k < n; ++k) dx[k] = y[k] * (dy[k] - s);
  }
}

// `lanes` softmaxes side by side: element k of lane l is at [k * stride + l].
template <typename T>
void softmax_lanes(int64_t n, int64_t stride, int64_t lanes, bool log, const T* x, T* y) {
  T max[kLanes];
  double sum[kLanes];
  std::copy(x, x + lanes, max);
  std::fill(sum, sum + lanes, 0.0);
  for (int64_t k = 1; k < n; ++k) {
    for (int64_t l = 0; l < lanes; ++l) max[l] = nan_max(max[l], x[k * stride + l]);
  }
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t l = 0; l < lanes; ++l) {
      const T e = exp_of(x[k * stride + l] - max[l]);
      if (!log) y[k * stride + l] = e;
      sum[l] += e;
    }
  }
  if (log) {
    T shift[kLanes];
    for (int64_t l = 0; l < lanes; ++l) shift[l] = max[l] + static_cast<T>(std::log(sum[l]));
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t l = 0; l < lanes; ++l) y[k * stride + l] = x[k * stride + l] - shift[l];
    }
  } else {
    T inv[kLanes];
    for (int64_t l = 0; l < lanes; ++l) inv[l] = static_cast<T>(1.0 / sum[l]);
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t l = 0; l < lanes; ++l) y[k * stride + l] *= inv[l];
    }
  }
}

template <typename T>
void softmax_lanes_backward(int64_t n, int64_t stride, int64_t lanes, bool log, const T* y,
                            const T* dy, T* dx) {
  double dot[kLanes];
  std::fill(dot, dot + lanes, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t l = 0; l < lanes; ++l) {
      const int64_t at = k * stride + l;
      dot[l] += log ? static_cast<double>(dy[at]) : static_cast<double>(dy[at]) * y[at];
    }
  }
  T s[kLanes];
  for (int64_t l = 0; l < lanes; ++l) s[l] = static_cast<T>(dot[l]);
  for (int64_t k = 0; k < n; ++k) {
    for (int64_t l = 0; l < lanes; ++l) {
      const int64_t at = k * stride + l;
      dx[at] = log ? dy[at] - exp_of(y[at]) * s[l] : y[at] * (dy[at] - s[l]);
    }
  }
}

// Calls run(n, stride, lanes, offset) once per task: a row when inner == 1, else a block
// of up to kLanes neighbouring softmaxes; `offset` is the element offset of the first one.
template <typename Run>
void for_each_softmax(const SoftmaxShape& shape, Run&& run) {
  if (shape.dim == 0) return;
  const int64_t blocks = (shape.inner + kLanes - 1) / kLanes;
  const int64_t lanes_per_task = std::min(shape.inner, kLanes);
  parallel_for(shape.outer * blocks, shape.dim * lanes_per_task, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t o = task / blocks, first_lane = (task % blocks) * kLanes;
      const int64_t lanes = std::min(kLanes, shape.inner - first_lane);
      run(shape.dim, shape.inner, lanes, o * shape.dim * shape.inner + first_lane);
    }
  });
}

}  // namespace

template <typename T>
void softmax_forward(const SoftmaxShape& shape, bool log, const T* x, T* y) {
  for_each_softmax(shape, [&](int64_t n, int64_t stride, int64_t lanes, int64_t offset) {
    if (stride == 1) {
      softmax_row(n, log, x + offset, y + offset);
    } else {
      softmax_lanes(n, stride, lanes, log, x + offset, y + offset);
    }
  });
}

template <typename T>
void softmax_backward(const SoftmaxShape& shape, bool log, const T* y, const T* dy, T* dx) {
  for_each_softmax(shape, [&](int64_t n, int64_t stride, int64_t lanes, int64_t offset) {
    if (stride == 1) {
      softmax_row_backward(n, log, y + offset, dy + offset, dx + offset);
    } else {
      softmax_lanes_backward(n, stride, lanes, log, y + offset, dy + offset, dx + offset);
    }
  });
}

template void softmax_forward<float>(const SoftmaxShape&, bool, const float*, float*);
template void softmax_forward<double>(const SoftmaxShape&, bool, const double*, double*);
template void softmax_backward<float>(const SoftmaxShape&, bool, const float*, const float*,
                                      float*);
template void softmax_backward<double>(const SoftmaxShape&, bool, const double*, const double*,
                                       double*);

}  // namespace fovea::kernels::cpu
