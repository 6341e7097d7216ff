#pragma once
// Host side of the CUDA optimizer updates and gradient checks (kernels/cuda/optimizer.h):
// argument checks, grouping by dtype, and the multi-tensor launches. Called by
// train/optimizer.cpp for parameters that live on a CUDA device.
#ifdef FOVEA_HAS_CUDA
#include <cstdint>
#include <vector>

#include "engine/tensor.h"
#include "kernels/optimizer.h"

namespace fovea {

// One parameter of a CUDA update. `master` is the f32 copy the update is computed on when
// the parameter is bf16/f16 (the parameter is then rewritten from it), undefined when the
// parameter is f32. The state buffers are f32; all tensors are contiguous, on the
// parameter's device, with its element count; the gradient has the parameter's dtype.
struct CudaAdamWParam {
  Tensor param, grad, master, exp_avg, exp_avg_sq;
};
struct CudaSgdParam {
  Tensor param, grad, master, momentum_buffer;  // momentum_buffer: undefined when momentum is 0
};

// One update of every parameter (all on one device), in a few multi-tensor launches.
void adamw_step_cuda(const kernels::AdamWStep& step,
                     const std::vector<CudaAdamWParam>& params);
void sgd_step_cuda(const kernels::SgdStep& step, const std::vector<CudaSgdParam>& params);

struct GradSummary {
  double sum_of_squares = 0.0;  // f64; inf or nan when a gradient is
  int64_t non_finite = 0;       // inf/nan elements over all gradients
};
// The sum of squares and the inf/nan count of all gradients (on one device), reduced in a
// fixed order on the device and read back once (this synchronises with the stream).
GradSummary grad_summary_cuda(const std::vector<Tensor>& grads);

}  // namespace fovea
#endif
