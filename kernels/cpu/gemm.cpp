// GEMM through Eigen (kernels/gemm.h). Eigen maps the caller's row-major buffers with
// their row strides, so nothing is copied; its GEMM packs panels into cache-sized blocks
// and runs an AVX-512/AVX2 micro-kernel, threaded with OpenMP for large products.
#include "kernels/gemm.h"

// GCC 12 reports false "maybe-uninitialized" warnings inside its own AVX-512 intrinsic
// headers when it inlines Eigen's packet math; they are not about our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>

#include "kernels/cpu/parallel.h"

namespace fovea::kernels::cpu {

namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using MutableMap = Eigen::Map<RowMatrix<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename T>
void gemm_one(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  // A stored as [m, k], or as [k, m] when transposed; likewise B.
  const ConstMap<T> A(a, s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k, Eigen::OuterStride<>(s.lda));
  const ConstMap<T> B(b, s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n, Eigen::OuterStride<>(s.ldb));
  MutableMap<T> C(c, s.m, s.n, Eigen::OuterStride<>(s.ldc));
  if (beta == T(0)) {
    C.setZero();  // beta = 0 must ignore whatever C held, NaN included
  } else if (beta != T(1)) {
    C *= beta;
  }
  if (s.k == 0) return;
  if (!s.trans_a && !s.trans_b) {
    C.noalias() += alpha * A * B;
  } else if (s.trans_a && !s.trans_b) {
    C.noalias() += alpha * A.transpose() * B;
  } else if (!s.trans_a && s.trans_b) {
    C.noalias() += alpha * A * B.transpose();
  } else {
    C.noalias() += alpha * A.transpose() * B.transpose();
  }
}

}  // namespace

template <typename T>
void gemm(const GemmShape& shape, T alpha, const T* a, const T* b, T beta, T* c) {
  gemm_one(shape, alpha, a, b, beta, c);
}

template <typename T>
void gemm_batched(const GemmShape& shape, int64_t batch, T alpha, const T* a, int64_t stride_a,
                  const T* b, int64_t stride_b, T beta, T* c, int64_t stride_c) {
  const int64_t flops_each = shape.m * shape.n * std::max<int64_t>(shape.k, 1);
  constexpr int64_t kLargeGemm = 1 << 21;  // past this, Eigen's own threading pays off
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  // Whole GEMMs per thread need no synchronisation inside a product, so they win whenever
  // there are enough of them to occupy every thread; Eigen's threading splits one product
  // and only pays off for a few large ones.
  const bool per_thread = batch >= threads || flops_each < kLargeGemm;
  if (!per_thread || batch == 1) {
    for (int64_t i = 0; i < batch; ++i) {
      gemm_one(shape, alpha, a + i * stride_a, b + i * stride_b, beta, c + i * stride_c);
    }
    return;
  }
  parallel_for(batch, flops_each, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      gemm_one(shape, alpha, a + i * stride_a, b + i * stride_b, beta, c + i * stride_c);
    }
  });
}

template void gemm<float>(const GemmShape&, float, const float*, const float*, float, float*);
template void gemm<double>(const GemmShape&, double, const double*, const double*, double,
                           double*);
template void gemm_batched<float>(const GemmShape&, int64_t, float, const float*, int64_t,
                                  const float*, int64_t, float, float*, int64_t);
template void gemm_batched<double>(const GemmShape&, int64_t, double, const double*, int64_t,
                                   const double*, int64_t, double, double*, int64_t);

}  // namespace fovea::kernels::cpu
