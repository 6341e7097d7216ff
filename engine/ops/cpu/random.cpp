// The CPU half of dropout and drop_path.
#include "engine/ops/cpu/random.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

Tensor apply_row_mask(const Tensor& x_in, int64_t rows, const kernels::RowMask& mask,
                      const char* op) {
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(x_in.dtype());
  const Tensor x = x_in.to(compute).contiguous();
  Tensor out = make_tensor(x.shape(), compute, x.device());
  const int64_t row_len = rows == 0 ? 0 : x.numel() / rows;
  visit_floating(compute, op, [&](auto tag) {
    using T = decltype(tag);
    kernels::cpu::apply_row_mask<T>(x.data<T>(), out.data<T>(), rows, row_len, mask);
  });
  return out.to(x_in.dtype());
}

}  // namespace fovea::cpu
