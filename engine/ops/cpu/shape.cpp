// The CPU half of the copying shape ops: raw-byte kernels for the data movement, the
// adding backwards in the CPU compute dtype (kernels/cpu/shape.cpp).
#include "engine/ops/cpu/shape.h"

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"

namespace fovea::cpu {

namespace {

// Runs an adding backward kernel in the CPU compute dtype of `dtype` and returns a
// gradient of `shape` in `dtype`.
template <typename Kernel>
Tensor adding_backward(const Tensor& grad, const Shape& shape, DType dtype, const char* op,
                       Kernel&& kernel) {
  NoGradGuard no_grad;
  const DType compute = cpu_compute_dtype(dtype);
  const Tensor g = grad.to(compute).contiguous();
  Tensor grad_x = make_tensor(shape, compute, g.device());
  visit_floating(compute, op, [&](auto tag) {
    using T = decltype(tag);
    kernel(g.data<T>(), grad_x.data<T>());
  });
  return grad_x.to(dtype);
}

int64_t elem_size(const Tensor& t) {
  return static_cast<int64_t>(dtype_size(t.dtype()));
}

}  // namespace

void cat_rows(const Tensor& out, int64_t rows, const std::vector<kernels::CatInput>& inputs) {
  kernels::cpu::cat_rows(out.raw_data(), rows, inputs.data(), static_cast<int64_t>(inputs.size()));
}

void check_index_range(const Tensor& idx, int64_t size, const char* op, int64_t dim,
                       const char* what, const Shape& shape) {
  const int64_t* data = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i) {
    FOVEA_CHECK(data[i] >= 0 && data[i] < size,
                "{}: index {} is out of range for dim {} of size {} ({} of shape {})", op, data[i],
                dim, size, what, shape_str(shape));
  }
}

void index_select(const Tensor& src, const Tensor& idx, Tensor& out,
                  const kernels::IndexSelectShape& shape) {
  kernels::cpu::index_select(src.raw_data(), idx.data<int64_t>(), out.raw_data(), shape,
                             elem_size(src));
}

Tensor index_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                 const kernels::IndexSelectShape& geometry) {
  return adding_backward(grad, shape, dtype, "index_select backward", [&](auto g, auto gx) {
    kernels::cpu::index_add(g, idx.data<int64_t>(), gx, geometry);
  });
}

void gather(const Tensor& src, const Tensor& idx, Tensor& out, const kernels::GatherShape& shape) {
  kernels::cpu::gather(src.raw_data(), idx.data<int64_t>(), out.raw_data(), shape, elem_size(src));
}

Tensor scatter_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                   const kernels::GatherShape& geometry) {
  return adding_backward(grad, shape, dtype, "gather backward", [&](auto g, auto gx) {
    kernels::cpu::scatter_add(g, idx.data<int64_t>(), gx, geometry);
  });
}

void one_hot(const Tensor& idx, int64_t num_classes, Tensor& out) {
  kernels::cpu::one_hot(idx.data<int64_t>(), idx.numel(), num_classes, out.data<int64_t>());
}

}  // namespace fovea::cpu
