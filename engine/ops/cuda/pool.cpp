// Host side of the CUDA pooling kernels: window upload, dtype dispatch, launch.
#include "engine/ops/cuda/pool.h"

#include <array>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/pool.h"

namespace fovea {

namespace {

using kernels::PoolShape;
using kernels::PoolWindows;
using kernels::cuda::DeviceWindows;

// Both axes' windows, and for every input position the range of outputs covering it, in
// one device buffer.
struct UploadedWindows {
  Tensor buffer;
  DeviceWindows rows, cols;
};

// Appends begin, end, divisor (out entries) then first, last (in entries) for one axis;
// returns the offsets of the five arrays.
std::array<int64_t, 5> append_axis(std::vector<int64_t>& data, const PoolWindows& w, int64_t in) {
  std::array<int64_t, 5> at{};
  const int64_t out = w.size();
  at[0] = static_cast<int64_t>(data.size());
  data.insert(data.end(), w.begin.begin(), w.begin.end());
  at[1] = static_cast<int64_t>(data.size());
  data.insert(data.end(), w.end.begin(), w.end.end());
  at[2] = static_cast<int64_t>(data.size());
  data.insert(data.end(), w.divisor.begin(), w.divisor.end());
  // Windows are monotone in the output index, so the outputs covering input i are the
  // contiguous range [first, last): the first with end > i up to the first with begin > i.
  at[3] = static_cast<int64_t>(data.size());
  at[4] = at[3] + in;
  data.resize(data.size() + 2 * in);
  int64_t first = 0, last = 0;
  for (int64_t i = 0; i < in; ++i) {
    while (first < out && w.end[first] <= i) ++first;
    while (last < out && w.begin[last] <= i) ++last;
    data[at[3] + i] = first;
    data[at[4] + i] = last > first ? last : first;
  }
  return at;
}

UploadedWindows upload(const PoolShape& s, const PoolWindows& rows, const PoolWindows& cols,
                       Device device) {
  std::vector<int64_t> data;
  const auto r = append_axis(data, rows, s.in_h);
  const auto c = append_axis(data, cols, s.in_w);
  UploadedWindows up;
  {
    NoGradGuard no_grad;
    const int64_t n = static_cast<int64_t>(data.size());
    up.buffer = from_blob(data.data(), {n}, DType::i64, {.dtype = DType::i64, .device = device});
  }
  const int64_t* base = cuda_data<int64_t>(up.buffer);
  up.rows = {base + r[0], base + r[1], base + r[2], base + r[3], base + r[4]};
  up.cols = {base + c[0], base + c[1], base + c[2], base + c[3], base + c[4]};
  return up;
}

Shape nhwc(const PoolShape& s, bool output) {
  return output ? Shape{s.batch, s.out_h, s.out_w, s.channels}
                : Shape{s.batch, s.in_h, s.in_w, s.channels};
}

}  // namespace

void max_pool2d_forward_cuda(const PoolShape& shape, const PoolWindows& rows,
                             const PoolWindows& cols, const Tensor& x_in, Tensor& y,
                             Tensor& indices) {
  const UploadedWindows w = upload(shape, rows, cols, x_in.device());
  const Tensor x = x_in.contiguous();
  y = make_tensor(nhwc(shape, true), x.dtype(), x.device());
  indices = make_tensor(nhwc(shape, true), DType::i64, x.device());
  visit_cuda_floating(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::max_pool2d_forward<T>(shape, w.rows, w.cols, cuda_data<T>(x), cuda_data<T>(y),
                                         cuda_data<int64_t>(indices), stream_for(x));
  });
}

Tensor max_pool2d_backward_cuda(const PoolShape& shape, const PoolWindows& rows,
                                const PoolWindows& cols, const Tensor& grad_y,
                                const Tensor& indices) {
  const UploadedWindows w = upload(shape, rows, cols, grad_y.device());
  const Tensor g = grad_y.contiguous(), idx = indices.contiguous();
  Tensor grad_x = make_tensor(nhwc(shape, false), g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "max_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::max_pool2d_backward<T>(shape, w.rows, w.cols, cuda_data<T>(g),
                                          cuda_data<int64_t>(idx), cuda_data<T>(grad_x),
                                          stream_for(g));
  });
  return grad_x;
}

Tensor avg_pool2d_forward_cuda(const PoolShape& shape, const PoolWindows& rows,
                               const PoolWindows& cols, const Tensor& x_in) {
  const UploadedWindows w = upload(shape, rows, cols, x_in.device());
  const Tensor x = x_in.contiguous();
  Tensor y = make_tensor(nhwc(shape, true), x.dtype(), x.device());
  visit_cuda_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::avg_pool2d_forward<T>(shape, w.rows, w.cols, cuda_data<T>(x), cuda_data<T>(y),
                                         stream_for(x));
  });
  return y;
}

Tensor avg_pool2d_backward_cuda(const PoolShape& shape, const PoolWindows& rows,
                                const PoolWindows& cols, const Tensor& grad_y) {
  const UploadedWindows w = upload(shape, rows, cols, grad_y.device());
  const Tensor g = grad_y.contiguous();
  Tensor grad_x = make_tensor(nhwc(shape, false), g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "avg_pool2d backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::avg_pool2d_backward<T>(shape, w.rows, w.cols, cuda_data<T>(g),
                                          cuda_data<T>(grad_x), stream_for(g));
  });
  return grad_x;
}

}  // namespace fovea
