// The CUDA half of interpolate: the CPU's taps (and their transpose for the backward
// gather), uploaded once per shape and device (engine/ops/cuda/table_cache.h says why),
// then the launch.
#include "engine/ops/cuda/interpolate.h"

#include <cstring>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/cuda/table_cache.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/interpolate.h"

namespace fovea::cuda {

namespace {

using kernels::InterpolateShape;
using kernels::InterpolateTaps;

Tensor upload_i64(const std::vector<int64_t>& data, Device device) {
  NoGradGuard no_grad;
  return from_blob(data.data(), {static_cast<int64_t>(data.size())}, DType::i64,
                   {.dtype = DType::i64, .device = device});
}

Tensor upload_f32(const std::vector<float>& data, Device device) {
  NoGradGuard no_grad;
  return from_blob(data.data(), {static_cast<int64_t>(data.size())}, DType::f32,
                   {.dtype = DType::f32, .device = device});
}

InterpolateTaps taps_of(const InterpolateShape& s, bool rows, bool backward) {
  return rows ? kernels::cpu::interpolate_taps(s.in_h, s.out_h, s.mode, s.align_corners, s.scale_h,
                                               backward)
              : kernels::cpu::interpolate_taps(s.in_w, s.out_w, s.mode, s.align_corners, s.scale_w,
                                               backward);
}

// The cache key of one axis's taps: everything interpolate_taps reads.
TableKey taps_key(const InterpolateShape& s, bool rows, bool backward) {
  const int64_t in = rows ? s.in_h : s.in_w, out = rows ? s.out_h : s.out_w;
  const double scale = rows ? s.scale_h : s.scale_w;
  int64_t scale_bits = 0;
  static_assert(sizeof(scale_bits) == sizeof(scale));
  std::memcpy(&scale_bits, &scale, sizeof(scale));
  return {static_cast<int64_t>(s.mode), s.align_corners, in, out, scale_bits, backward};
}

struct UploadedTaps {
  TensorList tables;  // index, weight
  kernels::cuda::DeviceTaps view;
};

UploadedTaps upload_taps(const InterpolateShape& s, bool rows, Device device) {
  UploadedTaps up;
  up.tables = cached_tables(taps_key(s, rows, false), device, [&] {
    const InterpolateTaps taps = taps_of(s, rows, false);
    return TensorList{upload_i64(taps.index, device), upload_f32(taps.weight, device)};
  });
  const int64_t out = rows ? s.out_h : s.out_w;
  up.view = {static_cast<int>(up.tables[0].numel() / out), cuda_data<int64_t>(up.tables[0]),
             cuda_data<float>(up.tables[1])};
  return up;
}

struct UploadedInverse {
  TensorList tables;  // offsets, output, weight
  kernels::cuda::DeviceInverseTaps view;
};

// For each source index, the (output, weight) pairs that read it, outputs ascending.
TensorList inverse_tables(const InterpolateTaps& taps, int64_t in, Device device) {
  const int64_t out = static_cast<int64_t>(taps.index.size()) / taps.count;
  std::vector<int64_t> offsets(in + 1, 0);
  for (int64_t e = 0; e < out * taps.count; ++e) ++offsets[taps.index[e] + 1];
  for (int64_t i = 0; i < in; ++i) offsets[i + 1] += offsets[i];
  std::vector<int64_t> output(out * taps.count);
  std::vector<float> weight(out * taps.count);
  std::vector<int64_t> fill(offsets.begin(), offsets.end() - 1);
  for (int64_t o = 0; o < out; ++o) {
    for (int k = 0; k < taps.count; ++k) {
      const int64_t e = o * taps.count + k;
      const int64_t at = fill[taps.index[e]]++;
      output[at] = o;
      weight[at] = taps.weight[e];
    }
  }
  return {upload_i64(offsets, device), upload_i64(output, device), upload_f32(weight, device)};
}

UploadedInverse upload_inverse(const InterpolateShape& s, bool rows, Device device) {
  UploadedInverse up;
  up.tables = cached_tables(taps_key(s, rows, true), device, [&] {
    return inverse_tables(taps_of(s, rows, true), rows ? s.in_h : s.in_w, device);
  });
  up.view = {cuda_data<int64_t>(up.tables[0]), cuda_data<int64_t>(up.tables[1]),
             cuda_data<float>(up.tables[2])};
  return up;
}

}  // namespace

Tensor interpolate(const Tensor& x_in, const InterpolateShape& s) {
  DeviceGuard guard(x_in.device().index);
  const Tensor x = x_in.contiguous();
  const UploadedTaps rows = upload_taps(s, true, x.device());
  const UploadedTaps cols = upload_taps(s, false, x.device());
  Tensor out = make_tensor({s.batch, s.out_h, s.out_w, s.channels}, x.dtype(), x.device());
  visit_cuda_floating(x.dtype(), "interpolate", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::interpolate<T>(cuda_data<T>(x), cuda_data<T>(out), s, rows.view, cols.view,
                                  stream_for(x));
  });
  return out;
}

Tensor interpolate_backward(const Tensor& grad, const InterpolateShape& s) {
  DeviceGuard guard(grad.device().index);
  const Tensor g = grad.contiguous();
  const UploadedInverse rows = upload_inverse(s, true, g.device());
  const UploadedInverse cols = upload_inverse(s, false, g.device());
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.channels}, g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "interpolate backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::interpolate_backward<T>(cuda_data<T>(g), cuda_data<T>(grad_x), s, rows.view,
                                           cols.view, stream_for(g));
  });
  return grad_x;
}

}  // namespace fovea::cuda
