#pragma once
// General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C, where op is
// the identity or a transpose. On the CPU this is Eigen's blocked, vectorised GEMM; on
// CUDA it is cuBLAS(Lt). Every matmul, linear and convolution in fovea ends up here.
#include <cstdint>

namespace fovea::kernels {

struct GemmShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;        // C is [m, n]; op(A) is [m, k]; op(B) is [k, n]
  int64_t lda = 0, ldb = 0, ldc = 0;  // row strides (elements) of A, B, C as stored
};

// linear's y = x weight^T, all row-major: x [rows, in], weight [out, in], y [rows, out].
constexpr GemmShape linear_gemm_shape(int64_t rows, int64_t in_features, int64_t out_features) {
  return {.trans_a = false,
          .trans_b = true,
          .m = rows,
          .n = out_features,
          .k = in_features,
          .lda = in_features,
          .ldb = in_features,
          .ldc = out_features};
}

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// T: float, double.
template <typename T>
void gemm(const GemmShape& shape, T alpha, const T* a, const T* b, T beta, T* c);

// `batch` independent GEMMs; matrix i starts at a + i*stride_a (and so on). Small
// matrices run one per thread, large ones use Eigen's own threading.
template <typename T>
void gemm_batched(const GemmShape& shape, int64_t batch, T alpha, const T* a, int64_t stride_a,
                  const T* b, int64_t stride_b, T beta, T* c, int64_t stride_c);

}  // namespace fovea::kernels::cpu
