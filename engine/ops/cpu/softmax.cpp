// The CPU half of softmax: dtype dispatch around kernels/cpu/softmax.cpp.
#include "engine/ops/cpu/softmax.h"

#include "engine/ops/dispatch.h"

namespace fovea::cpu {

void softmax_forward(const kernels::SoftmaxShape& shape, bool log, const Tensor& x,
                     const Tensor& y) {
  visit_floating(x.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::softmax_forward<T>(shape, log, static_cast<const T*>(x.raw_data()),
                                     static_cast<T*>(y.raw_data()));
  });
}

void softmax_backward(const kernels::SoftmaxShape& shape, bool log, const Tensor& y,
                      const Tensor& dy, const Tensor& dx) {
  visit_floating(y.dtype(), log ? "log_softmax backward" : "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::softmax_backward<T>(shape, log, static_cast<const T*>(y.raw_data()),
                                      static_cast<const T*>(dy.raw_data()),
                                      static_cast<T*>(dx.raw_data()));
  });
}

}  // namespace fovea::cpu
