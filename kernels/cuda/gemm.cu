// Matrix products through cuBLASLt (kernels/cuda/gemm.h).
//
// Math and layout: fovea's matrices are row-major, cuBLAS's column-major. A row-major
// [m, n] matrix with row stride ld is the column-major [n, m] matrix with the same ld, so
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: cuBLASLt's first operand is B,
// its second A, and m and n swap. A transposed operand (stored [k, m] for op(A) [m, k])
// only flips the transpose flag; nothing is copied.
//
// Precision: f32 uses CUBLAS_COMPUTE_32F, never CUBLAS_COMPUTE_32F_FAST_TF32: TF32 rounds
// the operands to 10 mantissa bits (relative error about 1e-3), and fovea's f32 CUDA path
// must match the CPU at 1e-5. bf16 and f16 multiply on the tensor cores with f32
// accumulation (CUBLAS_COMPUTE_32F, f32 alpha/beta), as autocast expects.
//
// Algorithm choice: cublasLtMatmulAlgoGetHeuristic once per problem (dims, strides,
// dtype, epilogue, operand alignments), kept in a per-thread cache; the descriptors are
// host structures rebuilt per call, which costs microseconds next to any real GEMM.
//
// Roofline (ViT-B fc1 in bf16, B=64 x 197 tokens: [12608, 768] x [768, 3072]):
// 2 * 12608 * 768 * 3072 = 59.5 GFLOP -> 75 us at 790 TFLOP/s; it moves
// 2 * (12608*768 + 768*3072 + 12608*3072) = 101 MB -> 34 us at 3.0 TB/s, so it is
// compute-bound and the epilogue's bias (and GELU) ride along for free.
#include "kernels/cuda/gemm.h"

#include <cstring>
#include <map>
#include <string>
#include <tuple>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

using detail::cuda_data_type;

namespace {

// The largest power of two (at most 256, cuBLASLt's default assumption) dividing every
// byte offset a matrix of the batch can start at: the pointer and the batch stride. The
// heuristic then only offers algorithms that are valid for views at odd offsets.
uint32_t alignment(const void* pointer, int64_t stride_bytes) {
  uint64_t bits = reinterpret_cast<uintptr_t>(pointer) | static_cast<uint64_t>(stride_bytes) | 256;
  return static_cast<uint32_t>(bits & (~bits + 1));
}

// Owners of the cuBLASLt descriptors, destroyed on every path out (errors throw).
struct MatmulDesc {
  cublasLtMatmulDesc_t desc = nullptr;
  MatmulDesc() {
    FOVEA_CUBLAS_CHECK(cublasLtMatmulDescCreate(&desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  }
  ~MatmulDesc() { cublasLtMatmulDescDestroy(desc); }
  template <typename V>
  void set(cublasLtMatmulDescAttributes_t attribute, const V& value) {
    FOVEA_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(desc, attribute, &value, sizeof(value)));
  }
};

struct Layout {
  cublasLtMatrixLayout_t layout = nullptr;
  Layout(cudaDataType_t type, int64_t rows, int64_t cols, int64_t ld, int64_t batch,
         int64_t stride) {
    FOVEA_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&layout, type, static_cast<uint64_t>(rows),
                                                  static_cast<uint64_t>(cols), ld));
    if (batch > 1) {
      const int32_t count = static_cast<int32_t>(batch);
      FOVEA_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
          layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof(count)));
      FOVEA_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(
          layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof(stride)));
    }
  }
  ~Layout() { cublasLtMatrixLayoutDestroy(layout); }
};

struct Preference {
  cublasLtMatmulPreference_t preference = nullptr;
  Preference() { FOVEA_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&preference)); }
  ~Preference() { cublasLtMatmulPreferenceDestroy(preference); }
  template <typename V>
  void set(cublasLtMatmulPreferenceAttributes_t attribute, const V& value) {
    FOVEA_CUBLAS_CHECK(
        cublasLtMatmulPreferenceSetAttribute(preference, attribute, &value, sizeof(value)));
  }
};

// One cuBLASLt problem in column-major terms (see the top comment).
struct LtProblem {
  cudaDataType_t type = CUDA_R_32F;
  bool trans_first = false, trans_second = false;
  int64_t m = 0, n = 0, k = 0;  // D is [m, n] column-major
  int64_t ld_first = 0, ld_second = 0, ld_out = 0;
  int64_t batch = 1, stride_first = 0, stride_second = 0, stride_out = 0;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  uint32_t align_first = 256, align_second = 256, align_out = 256, align_bias = 256;

  auto key() const {
    return std::make_tuple(static_cast<int>(type), trans_first, trans_second, m, n, k, ld_first,
                           ld_second, ld_out, batch, stride_first, stride_second, stride_out,
                           static_cast<int>(epilogue), align_first, align_second, align_out,
                           align_bias);
  }
};

void run(const LtProblem& p, float alpha, const void* first, const void* second, float beta,
         void* out, const void* bias, const GemmContext& context) {
  if (p.batch > INT32_MAX) {
    cuda_kernel_error("gemm (CUDA): batch " + std::to_string(p.batch) +
                      " exceeds cuBLASLt's int32 count");
  }
  MatmulDesc desc;
  desc.set(CUBLASLT_MATMUL_DESC_TRANSA, p.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N);
  desc.set(CUBLASLT_MATMUL_DESC_TRANSB, p.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N);
  if (p.epilogue != CUBLASLT_EPILOGUE_DEFAULT) {
    desc.set(CUBLASLT_MATMUL_DESC_EPILOGUE, p.epilogue);
    desc.set(CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
    desc.set(CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, static_cast<int32_t>(p.type));
  }
  // The stored shapes: an operand read transposed is stored [cols, rows] of its op.
  const Layout first_layout(p.type, p.trans_first ? p.k : p.m, p.trans_first ? p.m : p.k,
                            p.ld_first, p.batch, p.stride_first);
  const Layout second_layout(p.type, p.trans_second ? p.n : p.k, p.trans_second ? p.k : p.n,
                             p.ld_second, p.batch, p.stride_second);
  const Layout out_layout(p.type, p.m, p.n, p.ld_out, p.batch, p.stride_out);

  thread_local std::map<decltype(p.key()), cublasLtMatmulAlgo_t> algorithms;
  auto found = algorithms.find(p.key());
  if (found == algorithms.end()) {
    Preference preference;
    preference.set(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                   static_cast<uint64_t>(context.workspace_bytes));
    preference.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, p.align_first);
    preference.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, p.align_second);
    preference.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, p.align_out);
    preference.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, p.align_out);
    cublasLtMatmulHeuristicResult_t result;
    std::memset(&result, 0, sizeof(result));
    int returned = 0;
    FOVEA_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(
        context.handle, desc.desc, first_layout.layout, second_layout.layout, out_layout.layout,
        out_layout.layout, preference.preference, 1, &result, &returned));
    if (returned == 0) {
      cuda_kernel_error("gemm (CUDA): cuBLASLt has no algorithm for m=" + std::to_string(p.m) +
                        " n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) +
                        " batch=" + std::to_string(p.batch) + " (column-major)");
    }
    found = algorithms.emplace(p.key(), result.algo).first;
  }
  FOVEA_CUBLAS_CHECK(cublasLtMatmul(context.handle, desc.desc, &alpha, first, first_layout.layout,
                                    second, second_layout.layout, &beta, out, out_layout.layout,
                                    out, out_layout.layout, &found->second, context.workspace,
                                    context.workspace_bytes, context.stream));
}

// The row-major GEMM of `shape` as its column-major transpose.
template <typename T>
LtProblem transposed_problem(const GemmShape& shape, int64_t batch, const T* a, int64_t stride_a,
                             const T* b, int64_t stride_b, const T* c, int64_t stride_c) {
  constexpr int64_t size = sizeof(T);
  LtProblem p;
  p.type = cuda_data_type<T>();
  p.trans_first = shape.trans_b;
  p.trans_second = shape.trans_a;
  p.m = shape.n;
  p.n = shape.m;
  p.k = shape.k;
  p.ld_first = shape.ldb;
  p.ld_second = shape.lda;
  p.ld_out = shape.ldc;
  p.batch = batch;
  p.stride_first = stride_b;
  p.stride_second = stride_a;
  p.stride_out = stride_c;
  p.align_first = alignment(b, stride_b * size);
  p.align_second = alignment(a, stride_a * size);
  p.align_out = alignment(c, stride_c * size);
  return p;
}

template <typename T>
void linear_epilogue(int64_t rows, int64_t in_features, int64_t out_features, const T* x,
                     const T* weight, const T* bias, T* y, cublasLtEpilogue_t epilogue,
                     const GemmContext& context) {
  if (rows == 0 || out_features == 0) return;
  // y = x weight^T: a row-major GEMM with B = weight read transposed. In column-major
  // terms D = y^T [out, rows], whose rows are the output features, and cuBLASLt's bias
  // epilogue adds one entry per row of D: one per output feature, as linear wants.
  const GemmShape shape = linear_gemm_shape(rows, in_features, out_features);
  LtProblem p = transposed_problem<T>(shape, 1, x, 0, weight, 0, y, 0);
  p.epilogue = epilogue;
  p.align_bias = alignment(bias, 0);
  run(p, 1.0f, weight, x, 0.0f, y, bias, context);
}

}  // namespace

template <typename T>
void gemm_batched(const GemmShape& shape, int64_t batch, float alpha, const T* a, int64_t stride_a,
                  const T* b, int64_t stride_b, float beta, T* c, int64_t stride_c,
                  const GemmContext& context) {
  if (batch == 0 || shape.m == 0 || shape.n == 0) return;
  const LtProblem p = transposed_problem<T>(shape, batch, a, stride_a, b, stride_b, c, stride_c);
  run(p, alpha, b, a, beta, c, nullptr, context);
}

template <typename T>
void linear_bias(int64_t rows, int64_t in_features, int64_t out_features, const T* x,
                 const T* weight, const T* bias, T* y, const GemmContext& context) {
  linear_epilogue(rows, in_features, out_features, x, weight, bias, y, CUBLASLT_EPILOGUE_BIAS,
                  context);
}

template <typename T>
void linear_bias_gelu_tanh(int64_t rows, int64_t in_features, int64_t out_features, const T* x,
                           const T* weight, const T* bias, T* y, const GemmContext& context) {
  linear_epilogue(rows, in_features, out_features, x, weight, bias, y, CUBLASLT_EPILOGUE_GELU_BIAS,
                  context);
}

template void gemm_batched<float>(const GemmShape&, int64_t, float, const float*, int64_t,
                                  const float*, int64_t, float, float*, int64_t,
                                  const GemmContext&);
template void linear_bias<float>(int64_t, int64_t, int64_t, const float*, const float*,
                                 const float*, float*, const GemmContext&);
template void linear_bias_gelu_tanh<float>(int64_t, int64_t, int64_t, const float*, const float*,
                                           const float*, float*, const GemmContext&);
template void gemm_batched<__half>(const GemmShape&, int64_t, float, const __half*, int64_t,
                                   const __half*, int64_t, float, __half*, int64_t,
                                   const GemmContext&);
template void linear_bias<__half>(int64_t, int64_t, int64_t, const __half*, const __half*,
                                  const __half*, __half*, const GemmContext&);
template void linear_bias_gelu_tanh<__half>(int64_t, int64_t, int64_t, const __half*, const __half*,
                                            const __half*, __half*, const GemmContext&);
template void gemm_batched<__nv_bfloat16>(const GemmShape&, int64_t, float, const __nv_bfloat16*,
                                          int64_t, const __nv_bfloat16*, int64_t, float,
                                          __nv_bfloat16*, int64_t, const GemmContext&);
template void linear_bias<__nv_bfloat16>(int64_t, int64_t, int64_t, const __nv_bfloat16*,
                                         const __nv_bfloat16*, const __nv_bfloat16*, __nv_bfloat16*,
                                         const GemmContext&);
template void linear_bias_gelu_tanh<__nv_bfloat16>(int64_t, int64_t, int64_t, const __nv_bfloat16*,
                                                   const __nv_bfloat16*, const __nv_bfloat16*,
                                                   __nv_bfloat16*, const GemmContext&);

}  // namespace fovea::kernels::cuda
