#pragma once
// The CUDA half of the optimizer ops (engine/ops/optimizer.h): f32, bf16 and f16
// parameters, f32 state and master copies, updated by multi-tensor launches
// (kernels/cuda/optimizer.cu) on the parameters' stream.
#include <vector>

#include "engine/ops/optimizer.h"

namespace fovea::cuda {

void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params);
void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params);
Tensor grad_summary(const std::vector<Tensor>& grads);

}  // namespace fovea::cuda
