// matmul, bmm and linear (engine/ops/matmul.h). One function, matmul_into, turns two
// operands into GEMM calls: it reads each operand's last two dims in place when they are
// row- or column-major (the transpose flags of kernels/gemm.h), gives broadcast batch dims
// stride 0, and only copies an operand whose matrix layout a GEMM cannot address.
#include "engine/ops/matmul.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/ops/cpu/matmul.h"
#include "engine/ops/cuda/matmul.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"
#include "kernels/gemm.h"

namespace fovea {

namespace {

Shape batch_of(const Shape& shape) {
  return Shape(shape.begin(), shape.end() - 2);
}

// ---------------------------------------------------------------- operand layouts

// How a GEMM reads the last two dims [rows, cols] of an operand in place.
struct MatrixLayout {
  bool transposed = false;  // stored column-major: read through the GEMM's transpose flag
  int64_t ld = 0;           // the stride between stored rows (columns when transposed)
};

// Row-major or column-major matrices (a transposed view is the latter) need no copy.
// Strides of size-1 dims are meaningless, so they never disqualify a layout.
std::optional<MatrixLayout> matrix_layout(const Tensor& t) {
  const int64_t rows = t.size(-2), cols = t.size(-1);
  const int64_t row_stride = t.stride(-2), col_stride = t.stride(-1);
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols)) {
    return MatrixLayout{false, rows == 1 ? cols : row_stride};
  }
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows)) {
    return MatrixLayout{true, cols == 1 ? rows : col_stride};
  }
  return std::nullopt;
}

// The operand itself when a GEMM can read its matrices in place, else a contiguous copy.
Tensor gemm_readable(const Tensor& t) {
  return matrix_layout(t) ? t : t.contiguous();
}

// The strides of t's batch dims over the broadcast batch shape (0 where t is broadcast).
Shape batch_strides(const Tensor& t, const Shape& batch) {
  const int64_t lead = static_cast<int64_t>(batch.size()) - (t.dim() - 2);
  Shape strides(batch.size(), 0);
  for (int64_t d = lead; d < static_cast<int64_t>(batch.size()); ++d) {
    if (t.size(d - lead) != 1) strides[d] = t.stride(d - lead);
  }
  return strides;
}

// The broadcast batch of a product, split into an outer loop over runs of matrices that
// both operands step through with a single stride each, which is what gemm_batched
// takes. A broadcast operand has stride 0 in a run, so it is never copied.
struct BatchPlan {
  Shape outer_sizes, outer_strides_a, outer_strides_b;  // dims looped over one at a time
  int64_t outer = 1;                                    // number of runs
  int64_t inner = 1;                                    // matrices per run
  int64_t stride_a = 0, stride_b = 0;                   // between the matrices of a run
  // b is shared by the whole batch and a's matrices are stacked rows of one matrix: the
  // batch is then a single [inner * M, K] x [K, N] GEMM, which threads and blocks better.
  bool folded = false;

  std::pair<int64_t, int64_t> outer_offsets(int64_t run) const {
    int64_t offset_a = 0, offset_b = 0;
    for (int64_t d = static_cast<int64_t>(outer_sizes.size()) - 1; d >= 0; --d) {
      const int64_t index = run % outer_sizes[d];
      run /= outer_sizes[d];
      offset_a += index * outer_strides_a[d];
      offset_b += index * outer_strides_b[d];
    }
    return {offset_a, offset_b};
  }
};

BatchPlan plan_batches(const Shape& batch, const Tensor& a, const Tensor& b, int64_t m,
                       const MatrixLayout& layout_a) {
  // Size-1 batch dims select nothing; drop them.
  Shape sizes, strides_a, strides_b;
  const Shape all_a = batch_strides(a, batch), all_b = batch_strides(b, batch);
  for (size_t d = 0; d < batch.size(); ++d) {
    if (batch[d] == 1) continue;
    sizes.push_back(batch[d]);
    strides_a.push_back(all_a[d]);
    strides_b.push_back(all_b[d]);
  }
  const int64_t dims = static_cast<int64_t>(sizes.size());
  // The run is the longest suffix of dims that merge into one stride for both operands.
  auto merges = [&](const Shape& strides, int64_t d) {
    return strides[d] == strides[d + 1] * sizes[d + 1];
  };
  int64_t split = dims;
  while (split > 0 &&
         (split == dims || (merges(strides_a, split - 1) && merges(strides_b, split - 1)))) {
    --split;
  }
  BatchPlan plan;
  for (int64_t d = 0; d < dims; ++d) (d < split ? plan.outer : plan.inner) *= sizes[d];
  plan.outer_sizes.assign(sizes.begin(), sizes.begin() + split);
  plan.outer_strides_a.assign(strides_a.begin(), strides_a.begin() + split);
  plan.outer_strides_b.assign(strides_b.begin(), strides_b.begin() + split);
  if (dims > 0) {
    plan.stride_a = strides_a.back();
    plan.stride_b = strides_b.back();
  }
  const bool b_shared =
      std::all_of(strides_b.begin(), strides_b.end(), [](int64_t s) { return s == 0; });
  plan.folded = dims > 0 && split == 0 && b_shared && !layout_a.transposed && plan.stride_a != 0 &&
                plan.stride_a == m * layout_a.ld;
  return plan;
}

// ---------------------------------------------------------------- raw products (no graph)

// out [batch..., M, N] (contiguous, float or double) = a x b, or += when `accumulate`;
// a [..., M, K] and b [..., K, N] have out's dtype and batch dims that broadcast to out's.
void matmul_into(Tensor& out, const Tensor& a_in, const Tensor& b_in, bool accumulate) {
  const Tensor a = gemm_readable(a_in), b = gemm_readable(b_in);
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (out.numel() == 0) return;
  if (k == 0) {
    if (!accumulate) out.zero_();
    return;
  }
  const MatrixLayout la = *matrix_layout(a), lb = *matrix_layout(b);
  const BatchPlan plan = plan_batches(batch_of(out.shape()), a, b, m, la);
  kernels::GemmShape shape{.trans_a = la.transposed,
                           .trans_b = lb.transposed,
                           .m = plan.folded ? plan.inner * m : m,
                           .n = n,
                           .k = k,
                           .lda = la.ld,
                           .ldb = lb.ld,
                           .ldc = n};
  const int64_t gemms_per_call = plan.folded ? 1 : plan.inner;
  const DeviceType device = common_device("matmul", {&out, &a, &b}).type;
  const float beta = accumulate ? 1.0f : 0.0f;
  for (int64_t o = 0; o < plan.outer; ++o) {
    const auto [offset_a, offset_b] = plan.outer_offsets(o);
    const int64_t offset_out = o * plan.inner * m * n;
    switch (device) {
      case DeviceType::CPU:
        cpu::gemm_batched(shape, gemms_per_call, a, offset_a, plan.stride_a, b, offset_b,
                          plan.stride_b, beta, out, offset_out, m * n);
        break;
      case DeviceType::CUDA:
        cuda::gemm_batched(shape, gemms_per_call, a, offset_a, plan.stride_a, b, offset_b,
                           plan.stride_b, beta, out, offset_out, m * n);
        break;
    }
  }
}

// a x b as a new tensor of a's dtype (on the CPU, 16-bit floats multiply in f32 and round
// once; CUDA multiplies them natively with f32 accumulation).
Tensor matmul_raw(const Tensor& a, const Tensor& b) {
  NoGradGuard no_grad;
  const DType dtype = a.dtype();
  const DType compute =
      common_device("matmul", {&a, &b}).is_cuda() ? dtype : cpu_compute_dtype(dtype);
  if (compute != dtype) return matmul_raw(a.to(compute), b.to(compute)).to(dtype);
  Shape shape = broadcast_shapes(batch_of(a.shape()), batch_of(b.shape()), "matmul");
  shape.push_back(a.size(-2));
  shape.push_back(b.size(-1));
  Tensor out = make_tensor(shape, dtype, a.device());
  matmul_into(out, a, b, /*accumulate=*/false);
  count_macs(out.numel() * a.size(-1));  // every product, the backward's included
  return out;
}

// ---------------------------------------------------------------- argument checks

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  FOVEA_CHECK(a.defined() && b.defined(), "{}: called with an undefined tensor", op);
  FOVEA_CHECK(a.dim() >= 1 && b.dim() >= 1, "{}: both arguments need at least 1 dim, got {} x {}",
              op, shape_str(a.shape()), shape_str(b.shape()));
  check_floating(a, op, "first argument");
  check_floating(b, op, "second argument");
  FOVEA_CHECK(a.dtype() == b.dtype(), "{}: dtypes differ: {} {} x {} {}; convert one first", op,
              dtype_name(a.dtype()), shape_str(a.shape()), dtype_name(b.dtype()),
              shape_str(b.shape()));
  common_device(op, {&a, &b});
}

void check_inner(const char* op, const Tensor& a, const Tensor& b) {
  const int64_t ka = a.size(-1), kb = b.dim() == 1 ? b.size(0) : b.size(-2);
  FOVEA_CHECK(ka == kb, "{}: inner dimensions differ: {} x {} ({} vs {})", op, shape_str(a.shape()),
              shape_str(b.shape()), ka, kb);
}

// ---------------------------------------------------------------- the differentiable core

// d(a b)/da = g b^T, summed over the batch dims a was broadcast along.
Tensor grad_of_left(const Tensor& g, const Tensor& b, const Shape& a_shape) {
  return sum_to(matmul_raw(g, b.transpose(-1, -2)), a_shape);
}

// d(a b)/db = a^T g. When b is shared by the whole batch (a weight), the batch folds into
// the inner dim of one GEMM instead of making a product per batch element and summing.
Tensor grad_of_right(const Tensor& g, const Tensor& a, const Shape& b_shape) {
  if (g.dim() > 2 && shape_numel(batch_of(b_shape)) == 1) {
    const int64_t k = a.size(-1), n = g.size(-1);
    const int64_t rows = shape_numel(batch_of(g.shape())) * g.size(-2);
    Shape a_full = batch_of(g.shape());
    a_full.push_back(a.size(-2));
    a_full.push_back(k);
    const Tensor a_rows = a.expand(a_full).reshape({rows, k});
    return matmul_raw(a_rows.transpose(0, 1), g.reshape({rows, n})).reshape(b_shape);
  }
  return sum_to(matmul_raw(a.transpose(-1, -2), g), b_shape);
}

// a [..., M, K] x b [..., K, N] with broadcast batch dims; both at least 2-D.
Tensor matmul_nd(const Tensor& a, const Tensor& b, const char* op) {
  Tensor out = matmul_raw(a, b);
  if (!should_record({a, b})) return out;
  record_op(op, {a, b}, {out},
            [a_saved = b.requires_grad() ? a.detach() : Tensor(),
             b_saved = a.requires_grad() ? b.detach() : Tensor(), a_shape = a.shape(),
             b_shape = b.shape(), dtype = a.dtype()](const BackwardContext& ctx) -> TensorList {
              const Tensor g = ctx.grad().to(dtype);
              return {ctx.needs_grad(0) ? grad_of_left(g, b_saved, a_shape) : Tensor(),
                      ctx.needs_grad(1) ? grad_of_right(g, a_saved, b_shape) : Tensor()};
            });
  return out;
}

}  // namespace

// ---------------------------------------------------------------- public ops

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  const profile::OpScope scope("matmul", a_in, b_in);
  const Tensor a = autocast(a_in, AutocastPolicy::lower_precision);
  const Tensor b = autocast(b_in, AutocastPolicy::lower_precision);
  check_operands("matmul", a, b);
  check_inner("matmul", a, b);
  if (a.dim() == 1 && b.dim() == 1)
    return matmul_nd(a.unsqueeze(0), b.unsqueeze(1), "matmul").view({});
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b, "matmul").squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1), "matmul").squeeze(-1);
  const Shape batch_a = batch_of(a.shape()), batch_b = batch_of(b.shape());
  const size_t lead = std::max(batch_a.size(), batch_b.size());
  for (size_t i = 1; i <= lead; ++i) {
    const int64_t sa = i <= batch_a.size() ? batch_a[batch_a.size() - i] : 1;
    const int64_t sb = i <= batch_b.size() ? batch_b[batch_b.size() - i] : 1;
    FOVEA_CHECK(sa == sb || sa == 1 || sb == 1,
                "matmul: batch dims do not broadcast: {} x {} (batch {} vs {})",
                shape_str(a.shape()), shape_str(b.shape()), shape_str(batch_a), shape_str(batch_b));
  }
  return matmul_nd(a, b, "matmul");
}

Tensor bmm(const Tensor& a_in, const Tensor& b_in) {
  const profile::OpScope scope("bmm", a_in, b_in);
  const Tensor a = autocast(a_in, AutocastPolicy::lower_precision);
  const Tensor b = autocast(b_in, AutocastPolicy::lower_precision);
  check_operands("bmm", a, b);
  FOVEA_CHECK(a.dim() == 3 && b.dim() == 3,
              "bmm: expected 3-D tensors [B, M, K] x [B, K, N], got {} x {}", shape_str(a.shape()),
              shape_str(b.shape()));
  FOVEA_CHECK(a.size(0) == b.size(0), "bmm: batch sizes differ: {} x {} ({} vs {})",
              shape_str(a.shape()), shape_str(b.shape()), a.size(0), b.size(0));
  check_inner("bmm", a, b);
  return matmul_nd(a, b, "bmm");
}

Tensor linear(const Tensor& x_in, const Tensor& weight_in, const Tensor& bias_in) {
  const profile::OpScope scope("linear", x_in, weight_in, bias_in);
  const Tensor x = autocast(x_in, AutocastPolicy::lower_precision);
  const Tensor weight = autocast(weight_in, AutocastPolicy::lower_precision);
  const Tensor bias = autocast(bias_in, AutocastPolicy::lower_precision);
  FOVEA_CHECK(x.defined() && weight.defined(), "linear: called with an undefined input or weight");
  FOVEA_CHECK(weight.dim() == 2, "linear: weight must be 2-D [out, in], got {}",
              shape_str(weight.shape()));
  FOVEA_CHECK(x.dim() >= 1, "linear: input must have at least 1 dim [*, in], got {}",
              shape_str(x.shape()));
  const int64_t in_features = weight.size(1), out_features = weight.size(0);
  FOVEA_CHECK(x.size(-1) == in_features,
              "linear: input's last dim ({}) differs from weight's in features ({}): input {}, "
              "weight {}",
              x.size(-1), in_features, shape_str(x.shape()), shape_str(weight.shape()));
  FOVEA_CHECK(!bias.defined() || bias.shape() == Shape{out_features},
              "linear: bias must have shape [{}] for weight {}, got {}", out_features,
              shape_str(weight.shape()), shape_str(bias.shape()));
  check_floating(x, "linear", "input");
  for (const Tensor* t : {&weight, &bias}) {
    FOVEA_CHECK(!t->defined() || t->dtype() == x.dtype(),
                "linear: input is {} but {} is {}; convert them to one dtype",
                dtype_name(x.dtype()), t == &weight ? "weight" : "bias", dtype_name(t->dtype()));
  }
  const Device device = common_device("linear", {&x, &weight, &bias});

  const int64_t rows = shape_numel(Shape(x.shape().begin(), x.shape().end() - 1));
  count_macs(rows * in_features * out_features);
  Shape out_shape = x.shape();
  out_shape.back() = out_features;
  Tensor y;
  {
    NoGradGuard no_grad;
    const Tensor x_rows = x.reshape({rows, in_features}).contiguous();
    const Tensor w = weight.contiguous(), b = bias.defined() ? bias.contiguous() : bias;
    switch (device.type) {
      case DeviceType::CPU:
        y = cpu::linear(x_rows, w, b);
        break;
      case DeviceType::CUDA:
        y = cuda::linear(x_rows, w, b);
        break;
    }
    y = y.view(out_shape);
  }
  if (!should_record({x, weight, bias})) return y;
  record_op(
      "linear", {x, weight, bias}, {y},
      [x_saved = weight.requires_grad() ? x.detach() : Tensor(),
       weight_saved = x.requires_grad() ? weight.detach() : Tensor(), x_shape = x.shape(), rows,
       in_features, out_features, dtype = x.dtype()](const BackwardContext& ctx) -> TensorList {
        const Tensor g = ctx.grad().to(dtype).reshape({rows, out_features});
        TensorList grads(3);
        if (ctx.needs_grad(0)) grads[0] = matmul_raw(g, weight_saved).view(x_shape);
        if (ctx.needs_grad(1)) {
          grads[1] = matmul_raw(g.transpose(0, 1), x_saved.reshape({rows, in_features}));
        }
        if (ctx.needs_grad(2)) grads[2] = sum(g, {0}).to(dtype);  // the column sum
        return grads;
      });
  return y;
}

}  // namespace fovea
