// Host side of the CUDA interpolation: the CPU's taps (and their transpose for the
// backward gather), uploaded per call, then the launch.
#include "engine/ops/cuda/interpolate.h"

#include <vector>

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "engine/ops/factory.h"
#include "kernels/cuda/interpolate.h"

namespace fovea {

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

struct UploadedTaps {
  Tensor index, weight;
  kernels::cuda::DeviceTaps view;
};

UploadedTaps upload_taps(const InterpolateTaps& taps, Device device) {
  UploadedTaps up{upload_i64(taps.index, device), upload_f32(taps.weight, device), {}};
  up.view = {taps.count, cuda_data<int64_t>(up.index), cuda_data<float>(up.weight)};
  return up;
}

struct UploadedInverse {
  Tensor offsets, output, weight;
  kernels::cuda::DeviceInverseTaps view;
};

// For each source index, the (output, weight) pairs that read it, outputs ascending.
UploadedInverse upload_inverse(const InterpolateTaps& taps, int64_t in, Device device) {
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
  UploadedInverse up{
      upload_i64(offsets, device), upload_i64(output, device), upload_f32(weight, device), {}};
  up.view = {cuda_data<int64_t>(up.offsets), cuda_data<int64_t>(up.output),
             cuda_data<float>(up.weight)};
  return up;
}

}  // namespace

Tensor interpolate_cuda(const Tensor& x_in, const InterpolateShape& s) {
  const Tensor x = x_in.contiguous();
  const UploadedTaps rows = upload_taps(taps_of(s, true, false), x.device());
  const UploadedTaps cols = upload_taps(taps_of(s, false, false), x.device());
  Tensor out = make_tensor({s.batch, s.out_h, s.out_w, s.channels}, x.dtype(), x.device());
  visit_cuda_floating(x.dtype(), "interpolate", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::interpolate<T>(cuda_data<T>(x), cuda_data<T>(out), s, rows.view, cols.view,
                                  stream_for(x));
  });
  return out;
}

Tensor interpolate_backward_cuda(const Tensor& grad, const InterpolateShape& s) {
  const Tensor g = grad.contiguous();
  const UploadedInverse rows = upload_inverse(taps_of(s, true, true), s.in_h, g.device());
  const UploadedInverse cols = upload_inverse(taps_of(s, false, true), s.in_w, g.device());
  Tensor grad_x = make_tensor({s.batch, s.in_h, s.in_w, s.channels}, g.dtype(), g.device());
  visit_cuda_floating(g.dtype(), "interpolate backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::interpolate_backward<T>(cuda_data<T>(g), cuda_data<T>(grad_x), s, rows.view,
                                           cols.view, stream_for(g));
  });
  return grad_x;
}

}  // namespace fovea
