// The CUDA half of the copying shape ops: launches on the tensors' stream, under their
// device.
#include "engine/ops/cuda/shape.h"

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "kernels/cuda/index_add.h"
#include "kernels/cuda/index_check.h"
#include "kernels/cuda/shape.h"

namespace fovea::cuda {

namespace {

int64_t elem_size(const Tensor& t) {
  return static_cast<int64_t>(dtype_size(t.dtype()));
}

}  // namespace

void cat_rows(const Tensor& out, int64_t rows, const std::vector<kernels::CatInput>& inputs) {
  DeviceGuard guard(out.device().index);
  size_t out_row_bytes = 0;
  for (const kernels::CatInput& input : inputs) {
    out_row_bytes += static_cast<size_t>(input.row_bytes);
  }
  char* dst = static_cast<char*>(out.raw_data());
  const cudaStream_t stream = stream_for(out);
  for (const kernels::CatInput& input : inputs) {
    const size_t width = static_cast<size_t>(input.row_bytes);
    if (width > 0 && rows > 0) {
      // One strided copy per input: `rows` rows of `width` bytes into the output's rows.
      FOVEA_CUDA_CHECK(cudaMemcpy2DAsync(dst, out_row_bytes, input.data, width, width,
                                         static_cast<size_t>(rows), cudaMemcpyDeviceToDevice,
                                         stream));
    }
    dst += width;
  }
}

void check_index_range(const Tensor& idx, int64_t size, const char* op, int64_t dim,
                       const char* /*what*/, const Shape& /*shape*/) {
  DeviceGuard guard(idx.device().index);
  kernels::cuda::check_index_range(cuda_data<int64_t>(idx), idx.numel(), size,
                                   kernels::cuda::index_check_label(op, dim), stream_for(idx));
}

void index_select(const Tensor& src, const Tensor& idx, Tensor& out,
                  const kernels::IndexSelectShape& shape) {
  DeviceGuard guard(src.device().index);
  kernels::cuda::index_select(src.raw_data(), cuda_data<int64_t>(idx), out.raw_data(), shape,
                              elem_size(src), stream_for(src));
}

Tensor index_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                 const kernels::IndexSelectShape& geometry) {
  DeviceGuard guard(grad.device().index);
  NoGradGuard no_grad;
  const Tensor g = grad.to(dtype).contiguous();
  Tensor grad_src = make_tensor(shape, DType::f32, g.device());
  const size_t bytes = kernels::cuda::index_add_workspace_bytes(geometry);
  const Tensor workspace =
      make_tensor({static_cast<int64_t>((bytes + 7) / 8)}, DType::i64, g.device());
  visit_cuda_floating(dtype, "index_select backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::index_add<T>(cuda_data<T>(g), cuda_data<int64_t>(idx),
                                cuda_data<float>(grad_src), geometry, workspace.raw_data(), bytes,
                                stream_for(g));
  });
  return grad_src.to(dtype);
}

void gather(const Tensor& src, const Tensor& idx, Tensor& out, const kernels::GatherShape& shape) {
  DeviceGuard guard(src.device().index);
  kernels::cuda::gather(src.raw_data(), cuda_data<int64_t>(idx), out.raw_data(), shape,
                        elem_size(src), stream_for(src));
}

Tensor scatter_add(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                   const kernels::GatherShape& geometry) {
  DeviceGuard guard(grad.device().index);
  NoGradGuard no_grad;
  const Tensor g = grad.to(dtype).contiguous();
  Tensor grad_src = make_tensor(shape, DType::f32, g.device());
  visit_cuda_floating(dtype, "gather backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::scatter_add<T>(cuda_data<T>(g), cuda_data<int64_t>(idx),
                                  cuda_data<float>(grad_src), geometry, stream_for(g));
  });
  return grad_src.to(dtype);
}

void one_hot(const Tensor& idx, int64_t num_classes, Tensor& out) {
  DeviceGuard guard(idx.device().index);
  kernels::cuda::one_hot(cuda_data<int64_t>(idx), idx.numel(), num_classes, cuda_data<int64_t>(out),
                         stream_for(idx));
}

}  // namespace fovea::cuda
