#pragma once
// The optimizer updates and the gradient summary as engine ops, so that train/ holds no
// backend code: train/optimizer.cpp gathers each group's parameters and state, and these
// ops switch on the device into engine/ops/cpu/optimizer.cpp or engine/ops/cuda/optimizer.cpp.
// None of them synchronises with the device.
#include <vector>

#include "engine/tensor.h"
#include "kernels/optimizer.h"

namespace fovea {

// One parameter of an update. `master` is the f32 copy the update is computed on when the
// parameter is bf16/f16 (CUDA only; the parameter is then rewritten from it), undefined
// when the parameter is f32. State buffers are f32; every tensor is contiguous, on the
// parameter's device, with its element count; the gradient has the parameter's dtype.
struct AdamWParam {
  Tensor param, grad, master, exp_avg, exp_avg_sq;
};
struct SgdParam {
  Tensor param, grad, master, momentum_buffer;  // momentum_buffer: undefined when momentum is 0
};

// One update of every given parameter (all on one device); on CUDA a few multi-tensor
// launches for the lot.
void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params);
void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params);

// {sum of squares, number of inf/nan elements} over all `grads` (on one device), as an f64
// tensor of shape [2] on that device, reduced in a fixed order. Nothing is read back: the
// caller reads it together with whatever else it needs from the step.
Tensor grad_summary(const std::vector<Tensor>& grads);

}  // namespace fovea
