#pragma once
// Softmax and log-softmax along one dim, as torch.softmax / torch.log_softmax. Both
// subtract the maximum before exponentiating, work along any dim (negative dims count
// from the end) of any layout, and compute in f32 under autocast. 16-bit inputs outside
// autocast compute in f32 and return their own dtype.
#include <cstdint>

#include "engine/tensor.h"

namespace fovea {

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace fovea
