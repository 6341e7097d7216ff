// Host side of the CUDA copying shape ops.
#include "engine/ops/cuda/shape.h"

#include "engine/autograd.h"
#include "engine/ops/cuda/dispatch.h"
#include "engine/ops/cuda/storage.h"
#include "kernels/cuda/shape.h"

namespace fovea {

void cat_rows_cuda(const Tensor& out, int64_t rows,
                   const std::vector<kernels::CatInput>& inputs) {
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

void index_select_cuda(const Tensor& src, const Tensor& idx, Tensor& out,
                       const kernels::IndexSelectShape& shape) {
  kernels::cuda::index_select(src.raw_data(), cuda_data<int64_t>(idx), out.raw_data(), shape,
                              static_cast<int64_t>(dtype_size(src.dtype())), stream_for(src));
}

Tensor index_add_cuda(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                      const kernels::IndexSelectShape& geometry) {
  NoGradGuard no_grad;
  const Tensor g = grad.to(dtype).contiguous();
  Tensor grad_src = make_tensor(shape, DType::f32, g.device());
  visit_cuda_floating(dtype, "index_select backward", [&](auto tag) {
    using T = decltype(tag);
    kernels::cuda::index_add<T>(cuda_data<T>(g), cuda_data<int64_t>(idx),
                                cuda_data<float>(grad_src), geometry, stream_for(g));
  });
  return grad_src.to(dtype);
}

void gather_cuda(const Tensor& src, const Tensor& idx, Tensor& out,
                 const kernels::GatherShape& shape) {
  kernels::cuda::gather(src.raw_data(), cuda_data<int64_t>(idx), out.raw_data(), shape,
                        static_cast<int64_t>(dtype_size(src.dtype())), stream_for(src));
}

Tensor scatter_add_cuda(const Tensor& grad, const Tensor& idx, const Shape& shape, DType dtype,
                        const kernels::GatherShape& geometry) {
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

void one_hot_cuda(const Tensor& idx, int64_t num_classes, Tensor& out) {
  kernels::cuda::one_hot(cuda_data<int64_t>(idx), idx.numel(), num_classes, cuda_data<int64_t>(out),
                         stream_for(idx));
}

}  // namespace fovea
