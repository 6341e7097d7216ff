#pragma once
// The CPU half of the optimizer ops (engine/ops/optimizer.h): f32 parameters, gradients
// and state, updated in place by kernels/cpu/optimizer.cpp.
#include <vector>

#include "engine/ops/optimizer.h"

namespace fovea::cpu {

void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params);
void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params);
Tensor grad_summary(const std::vector<Tensor>& grads);

}  // namespace fovea::cpu
