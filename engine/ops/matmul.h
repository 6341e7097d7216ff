#pragma once
// Matrix products as differentiable ops: matmul (torch.matmul semantics), bmm and linear.
// All of them end in kernels::cpu::gemm / gemm_batched. Operands whose last two dims are
// row- or column-major are passed to the GEMM as they are (a transposed view costs
// nothing), and broadcast batch dims become stride-0 batches, so copies are only made
// for layouts a GEMM cannot read. Under autocast they compute in the autocast dtype
// (lower_precision policy); on the CPU 16-bit inputs are widened to f32, multiplied with
// f32 accumulation, and rounded once.
#include "engine/tensor.h"

namespace fovea {

// torch.matmul: 1-D x 1-D is a dot product (0-dim result); a 1-D operand is promoted to a
// matrix ([K] -> [1, K] on the left, [K, 1] on the right) and the added dim removed from
// the result; otherwise the last two dims multiply as matrices and the leading (batch)
// dims broadcast, e.g. [2, 1, 3, 4] x [5, 4, 6] -> [2, 5, 3, 6].
Tensor matmul(const Tensor& a, const Tensor& b);

// [B, M, K] x [B, K, N] -> [B, M, N], no broadcasting (torch.bmm).
Tensor bmm(const Tensor& a, const Tensor& b);

// torch.nn.functional.linear: x [*, in], weight [out, in], bias [out] (optional) ->
// [*, out] = x weight^T + bias. The leading dims of x are flattened into one GEMM.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

}  // namespace fovea
