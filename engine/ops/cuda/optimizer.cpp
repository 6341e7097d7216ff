// The CUDA half of the optimizer ops (engine/ops/cuda/optimizer.h).
#include "engine/ops/cuda/optimizer.h"

#include "engine/cuda/runtime.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/dispatch.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/optimizer.h"

namespace fovea::cuda {

namespace {

constexpr DType kFloatingTypes[] = {DType::f32, DType::bf16, DType::f16};

void check_on(const Tensor& t, const Tensor& param, DType dtype, const char* op, const char* what) {
  FOVEA_CHECK(t.defined() && t.dtype() == dtype && t.is_contiguous() &&
                  t.device() == param.device() && t.numel() == param.numel(),
              "{}: the {} must be a contiguous {} tensor of {} elements on {}, got {}", op, what,
              dtype_name(dtype), param.numel(), param.device().str(),
              t.defined() ? fmt::format("{} {} on {}", dtype_name(t.dtype()), shape_str(t.shape()),
                                        t.device().str())
                          : std::string("none"));
}

// Checks the parameter and its gradient and master copy.
void check_param(const Tensor& param, const Tensor& grad, const Tensor& master, const char* op,
                 Device device) {
  FOVEA_CHECK(param.device().is_cuda() && param.device() == device && param.is_contiguous(),
              "{}: parameters must be contiguous and on {}, got {} on {}", op, device.str(),
              shape_str(param.shape()), param.device().str());
  check_on(grad, param, param.dtype(), op, "gradient");
  if (param.dtype() != DType::f32) check_on(master, param, DType::f32, op, "f32 master copy");
}

// master: the f32 values updated; param: the 16-bit copy written from them (null for f32).
float* master_of(const Tensor& param, const Tensor& master) {
  return param.dtype() == DType::f32 ? data_or_null<float>(param) : data_or_null<float>(master);
}
template <typename T>
T* working_copy_of(const Tensor& param) {
  return param.dtype() == DType::f32 ? nullptr : data_or_null<T>(param);
}

}  // namespace

void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params) {
  if (params.empty()) return;
  const Device device = params.front().param.device();
  DeviceGuard guard(device.index);
  for (const AdamWParam& p : params) {
    check_param(p.param, p.grad, p.master, "adamw", device);
    check_on(p.exp_avg, p.param, DType::f32, "adamw", "exp_avg");
    check_on(p.exp_avg_sq, p.param, DType::f32, "adamw", "exp_avg_sq");
  }
  const cudaStream_t stream = stream_for(params.front().param);
  for (DType dtype : kFloatingTypes) {
    visit_cuda_floating(dtype, "adamw", [&](auto tag) {
      using T = decltype(tag);
      std::vector<kernels::cuda::AdamWTensor<T>> tensors;
      for (const AdamWParam& p : params) {
        if (p.param.dtype() != dtype) continue;
        tensors.push_back({.master = master_of(p.param, p.master),
                           .param = working_copy_of<T>(p.param),
                           .grad = data_or_null<const T>(p.grad),
                           .exp_avg = data_or_null<float>(p.exp_avg),
                           .exp_avg_sq = data_or_null<float>(p.exp_avg_sq),
                           .n = p.param.numel()});
      }
      if (!tensors.empty()) {
        kernels::cuda::adamw_multi_tensor<T>(step, tensors.data(),
                                             static_cast<int64_t>(tensors.size()), stream);
      }
    });
  }
}

void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params) {
  if (params.empty()) return;
  const Device device = params.front().param.device();
  DeviceGuard guard(device.index);
  for (const SgdParam& p : params) {
    check_param(p.param, p.grad, p.master, "sgd", device);
    if (step.momentum != 0.0)
      check_on(p.momentum_buffer, p.param, DType::f32, "sgd", "momentum buffer");
  }
  const cudaStream_t stream = stream_for(params.front().param);
  for (DType dtype : kFloatingTypes) {
    visit_cuda_floating(dtype, "sgd", [&](auto tag) {
      using T = decltype(tag);
      std::vector<kernels::cuda::SgdTensor<T>> tensors;
      for (const SgdParam& p : params) {
        if (p.param.dtype() != dtype) continue;
        tensors.push_back({.master = master_of(p.param, p.master),
                           .param = working_copy_of<T>(p.param),
                           .grad = data_or_null<const T>(p.grad),
                           .momentum_buffer = data_or_null<float>(p.momentum_buffer),
                           .n = p.param.numel()});
      }
      if (!tensors.empty()) {
        kernels::cuda::sgd_multi_tensor<T>(step, tensors.data(),
                                           static_cast<int64_t>(tensors.size()), stream);
      }
    });
  }
}

Tensor grad_summary(const std::vector<Tensor>& grads) {
  const Device device = grads.front().device();
  DeviceGuard guard(device.index);
  int64_t chunks = 0;
  for (const Tensor& g : grads) {
    FOVEA_CHECK(
        g.device().is_cuda() && g.device() == device && g.is_contiguous() &&
            (g.dtype() == DType::f32 || g.dtype() == DType::bf16 || g.dtype() == DType::f16),
        "grad_summary: gradients must be contiguous f32/bf16/f16 tensors on {}, got {} {} "
        "on {}",
        device.str(), dtype_name(g.dtype()), shape_str(g.shape()), g.device().str());
    chunks += kernels::cuda::multi_tensor_chunks(g.numel());
  }
  // Two partials (sum of squares, inf/nan count) per chunk.
  const Tensor workspace = make_tensor({2 * chunks}, DType::f64, device);
  double* partials = data_or_null<double>(workspace);
  const cudaStream_t stream = stream_for(grads.front());
  int64_t offset = 0;
  for (DType dtype : kFloatingTypes) {
    visit_cuda_floating(dtype, "grad_summary", [&](auto tag) {
      using T = decltype(tag);
      std::vector<kernels::cuda::GradTensor<T>> tensors;
      int64_t these_chunks = 0;
      for (const Tensor& g : grads) {
        if (g.dtype() != dtype) continue;
        tensors.push_back({.grad = data_or_null<const T>(g), .n = g.numel()});
        these_chunks += kernels::cuda::multi_tensor_chunks(g.numel());
      }
      if (tensors.empty()) return;
      kernels::cuda::grad_sum_of_squares<T>(tensors.data(), static_cast<int64_t>(tensors.size()),
                                            partials + 2 * offset, stream);
      offset += these_chunks;
    });
  }
  // The totals go to their own tensor, so the partials' workspace is freed with this call
  // and the caller reads two doubles together with the rest of the step's readings.
  Tensor totals = make_tensor({2}, DType::f64, device);
  kernels::cuda::reduce_grad_partials(partials, chunks, data_or_null<double>(totals), stream);
  return totals;
}

}  // namespace fovea::cuda
