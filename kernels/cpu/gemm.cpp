// GEMM through Eigen (kernels/gemm.h). Eigen maps the caller's row-major buffers with
// their row strides, so nothing is copied; its GEMM packs panels into cache-sized blocks
// and runs an AVX-512/AVX2 micro-kernel.
//
// Threads. Eigen could thread a product itself, but with more than one thread it picks a
// different k-blocking (it caps the depth of a packed panel at 320), so the same product
// rounds differently on 1 thread and on 2. Eigen therefore always runs single-threaded,
// and a large product is cut instead into blocks of C's rows, one single-threaded Eigen
// call per block (gemm_blocked). Every element of C is then summed over k in the same
// order whatever the thread count.
#include "kernels/gemm.h"

// GCC 12 reports false "maybe-uninitialized" warnings inside its own AVX-512 intrinsic
// headers when it inlines Eigen's packet math; they are not about our code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>

#include <algorithm>

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

// Set before the first product: Eigen reads it when a product starts.
const bool eigen_single_threaded = [] {
  Eigen::setNbThreads(1);
  return true;
}();

// Below this many multiply-adds a product is one Eigen call: a parallel region costs more.
constexpr int64_t kParallelGemmFlops = int64_t{1} << 21;
// Row blocks are whole multiples of this many rows (the last one takes the rest): a block
// that starts inside one of Eigen's register tiles, or a few rows (its GEMV and
// coefficient-wise paths), would round differently.
constexpr int64_t kBlockRows = 16;

// C = alpha op(A) op(B) + beta C, its rows cut into about one block per thread unless the
// caller already runs in parallel. Cutting C's rows on tile boundaries leaves every
// element's sum as it was: a single-threaded Eigen product blocks k by k alone, so an
// element of C adds the same terms in the same order whichever block holds it (checked
// bit for bit: tests/engine/thread_count_unit.cpp). Cutting columns would not: Eigen's
// edge tiles along n round differently. So the block count may follow the thread count
// and the result does not.
template <typename T>
void gemm_blocked(const GemmShape& s, T alpha, const T* a, const T* b, T beta, T* c) {
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const int64_t flops = s.m * s.n * std::max<int64_t>(s.k, 1);
  const int64_t wanted =
      flops < kParallelGemmFlops ? 1 : std::min<int64_t>(threads, s.m / kBlockRows);
  if (wanted <= 1) {
    gemm_one(s, alpha, a, b, beta, c);
    return;
  }
  const int64_t tiles = (s.m + kBlockRows - 1) / kBlockRows;
  const int64_t rows_per_block = (tiles + wanted - 1) / wanted * kBlockRows;
  // Rounded down: the last block takes the rest, so that no block is shorter than a tile.
  const int64_t blocks = std::max<int64_t>(1, s.m / rows_per_block);
  parallel_for(blocks, flops / blocks, [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t first = block * rows_per_block;
      GemmShape rows = s;
      rows.m = block + 1 == blocks ? s.m - first : rows_per_block;
      // Row `first` of op(A) starts `first` rows into A, or `first` columns when transposed.
      gemm_one(rows, alpha, a + first * (s.trans_a ? 1 : s.lda), b, beta, c + first * s.ldc);
    }
  });
}

}  // namespace

template <typename T>
void gemm(const GemmShape& shape, T alpha, const T* a, const T* b, T beta, T* c) {
  gemm_blocked(shape, alpha, a, b, beta, c);
}

template <typename T>
void gemm_batched(const GemmShape& shape, int64_t batch, T alpha, const T* a, int64_t stride_a,
                  const T* b, int64_t stride_b, T beta, T* c, int64_t stride_c) {
  // Whole products per thread need no synchronisation inside a product, so they win when
  // there are enough of them to occupy every thread; otherwise each product shares its
  // rows among the threads. Either way the result is the same (gemm_blocked).
  const int threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  const int64_t flops_each = shape.m * shape.n * std::max<int64_t>(shape.k, 1);
  const bool per_thread = batch >= threads || flops_each < kParallelGemmFlops;
  if (!per_thread || batch == 1) {
    for (int64_t i = 0; i < batch; ++i) {
      gemm_blocked(shape, alpha, a + i * stride_a, b + i * stride_b, beta, c + i * stride_c);
    }
    return;
  }
  parallel_for(batch, flops_each, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      gemm_blocked(shape, alpha, a + i * stride_a, b + i * stride_b, beta, c + i * stride_c);
    }
  });
}

template void gemm<float>(const GemmShape&, float, const float*, const float*, float, float*);
template void gemm<double>(const GemmShape&, double, const double*, const double*, double, double*);
template void gemm_batched<float>(const GemmShape&, int64_t, float, const float*, int64_t,
                                  const float*, int64_t, float, float*, int64_t);
template void gemm_batched<double>(const GemmShape&, int64_t, double, const double*, int64_t,
                                   const double*, int64_t, double, double*, int64_t);

}  // namespace fovea::kernels::cpu
