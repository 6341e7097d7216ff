// The CUDA half of fovea in a CPU-only build (-DFOVEA_CUDA=OFF): CMake compiles this file
// instead of engine/cuda/, kernels/cuda/ and engine/ops/cuda/. It reports no devices, and
// every function that would need a GPU throws one clear error, so the code above the seam
// (ops, modules, trainer) is the same in both builds and holds no #ifdef.
//
// Each engine/ops/cuda/<family>.h gets a section here with the same declarations.
#include "engine/cuda_backend.h"
#include "engine/ops/cuda/attention.h"
#include "engine/ops/cuda/conv.h"
#include "engine/ops/cuda/elementwise.h"
#include "engine/ops/cuda/factory.h"
#include "engine/ops/cuda/interpolate.h"
#include "engine/ops/cuda/loss.h"
#include "engine/ops/cuda/matmul.h"
#include "engine/ops/cuda/norm.h"
#include "engine/ops/cuda/optimizer.h"
#include "engine/ops/cuda/pool.h"
#include "engine/ops/cuda/random.h"
#include "engine/ops/cuda/reduction.h"
#include "engine/ops/cuda/shape.h"
#include "engine/ops/cuda/softmax.h"
#include "engine/ops/cuda/squeeze_excite.h"
#include "engine/ops/cuda/window_attention.h"
#include "engine/ops/cuda/window_partition.h"
#include "engine/transfer.h"
#include "kernels/error.h"

namespace fovea {

namespace {

[[noreturn]] void no_cuda(const char* what) {
  fail(
      "{} needs the CUDA backend, and this build of fovea has none (configured with "
      "-DFOVEA_CUDA=OFF); rebuild with CUDA, or use device 'cpu'",
      what);
}

}  // namespace

namespace cuda {

bool built() {
  return false;
}
int device_count() {
  return 0;
}
int current_device() {
  no_cuda("the current CUDA device");
}

Allocator& allocator(int device) {
  no_cuda(fmt::format("cuda:{}", device).c_str());
}

void* allocate_pinned(size_t) {
  no_cuda("pinned host memory");
}
void free_pinned(void*) noexcept {}

Tensor upload_async(const Tensor& host, Device device) {
  no_cuda(
      fmt::format("upload of a {} tensor to {}", shape_str(host.shape()), device.str()).c_str());
}
int64_t uploads_in_flight(Device) {
  return 0;
}

void timeline_push(const char*) {}
void timeline_pop() {}

int64_t profile_mark(int) {
  no_cuda("a CUDA timing mark");
}
double profile_elapsed_ms(int64_t, int64_t) {
  no_cuda("a CUDA timing mark");
}
void profile_release_marks() {}

}  // namespace cuda

// ---- engine/transfer.h
void copy_across_devices(Tensor& dst, const Tensor& src) {
  no_cuda(fmt::format("copy_ from {} to {}", src.device().str(), dst.device().str()).c_str());
}
void fill_on_device(Tensor& dst, double) {
  no_cuda(fmt::format("fill_ on {}", dst.device().str()).c_str());
}

// ---- engine/ops/cuda/pool.h
namespace cuda {
void max_pool2d_forward(const kernels::PoolShape&, const kernels::PoolAxis&,
                        const kernels::PoolAxis&, const Tensor&, Tensor&, Tensor&) {
  no_cuda("max_pool2d");
}
Tensor max_pool2d_backward(const kernels::PoolShape&, const kernels::PoolAxis&,
                           const kernels::PoolAxis&, const Tensor&, const Tensor&) {
  no_cuda("max_pool2d backward");
}
Tensor avg_pool2d_forward(const kernels::PoolShape&, const kernels::PoolAxis&,
                          const kernels::PoolAxis&, const Tensor&) {
  no_cuda("avg_pool2d");
}
Tensor avg_pool2d_backward(const kernels::PoolShape&, const kernels::PoolAxis&,
                           const kernels::PoolAxis&, const Tensor&) {
  no_cuda("avg_pool2d backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/interpolate.h
namespace cuda {
Tensor interpolate(const Tensor&, const kernels::InterpolateShape&) {
  no_cuda("interpolate");
}
Tensor interpolate_backward(const Tensor&, const kernels::InterpolateShape&) {
  no_cuda("interpolate backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/window_partition.h
namespace cuda {
void window_partition(const Tensor&, const Tensor&, const kernels::WindowPartitionShape&) {
  no_cuda("window_partition");
}
void window_reverse(const Tensor&, const Tensor&, const kernels::WindowPartitionShape&) {
  no_cuda("window_reverse");
}
}  // namespace cuda

// ---- engine/ops/cuda/attention.h
namespace cuda {
TensorList attention_forward(const kernels::AttentionShape&, const Tensor&, const Tensor&,
                             const Tensor&, const Tensor&, const kernels::ScoreLayout&,
                             const Tensor&, const kernels::ScoreLayout&,
                             const kernels::AttentionDropout&, const Shape&, const Shape&) {
  no_cuda("scaled_dot_product_attention");
}
TensorList attention_backward(const kernels::AttentionShape&, const Tensor&, const Tensor&,
                              const Tensor&, const Tensor&, const kernels::AttentionDropout&,
                              const Tensor&, const Shape&, bool, bool, bool) {
  no_cuda("scaled_dot_product_attention backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/window_attention.h
namespace cuda {
TensorList window_attention_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                    const Tensor&, double) {
  no_cuda("window_attention");
}
TensorList window_attention_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                     const Tensor&, int64_t, double, bool, bool, bool, bool) {
  no_cuda("window_attention backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/optimizer.h
namespace cuda {
void adamw_step(const kernels::AdamWStep&, const std::vector<AdamWParam>&) {
  no_cuda("adamw");
}
void sgd_step(const kernels::SgdStep&, const std::vector<SgdParam>&) {
  no_cuda("sgd");
}
Tensor grad_summary(const std::vector<Tensor>&) {
  no_cuda("grad_summary");
}
}  // namespace cuda

// ---- engine/ops/cuda/squeeze_excite.h
namespace cuda {
Tensor spatial_sum(const Tensor&, const Tensor&, double) {
  no_cuda("channel_mean");
}
Tensor channel_broadcast(const Tensor&, const Tensor&, double, const Shape&) {
  no_cuda("channel_scale");
}
}  // namespace cuda

// ---- engine/ops/cuda/elementwise.h
namespace cuda {
void binary(kernels::BinaryOp, Tensor&, const Tensor&, const Tensor&, const char* name) {
  no_cuda(name);
}
Tensor unary(kernels::UnaryOp op, kernels::UnaryParams, const Tensor&) {
  no_cuda(kernels::unary_op_name(op));
}
Tensor unary_backward(kernels::UnaryOp op, kernels::UnaryParams, const Tensor&, const Tensor&) {
  no_cuda(kernels::unary_op_name(op));
}
Tensor compare(kernels::CompareOp, const Tensor&, const Tensor&, const char* name) {
  no_cuda(name);
}
void where(Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("where");
}
}  // namespace cuda

// ---- engine/ops/cuda/reduction.h
namespace cuda {
void reduce(kernels::ReduceOp, const Tensor&, Tensor&, int64_t, int64_t, int64_t,
            const char* name) {
  no_cuda(name);
}
void variance(const Tensor&, Tensor&, int64_t, int64_t, int64_t, int64_t) {
  no_cuda("var");
}
void max_along(const Tensor&, Tensor&, Tensor&, int64_t, int64_t, int64_t) {
  no_cuda("max");
}
Tensor scatter_along(const Tensor&, const Tensor&, const Shape&, int64_t, int64_t, int64_t) {
  no_cuda("max backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/shape.h
namespace cuda {
void cat_rows(const Tensor&, int64_t, const std::vector<kernels::CatInput>&) {
  no_cuda("cat");
}
void check_index_range(const Tensor&, int64_t, const char* op, int64_t, const char*, const Shape&) {
  no_cuda(op);
}
void index_select(const Tensor&, const Tensor&, Tensor&, const kernels::IndexSelectShape&) {
  no_cuda("index_select");
}
Tensor index_add(const Tensor&, const Tensor&, const Shape&, DType,
                 const kernels::IndexSelectShape&) {
  no_cuda("index_select backward");
}
void gather(const Tensor&, const Tensor&, Tensor&, const kernels::GatherShape&) {
  no_cuda("gather");
}
Tensor scatter_add(const Tensor&, const Tensor&, const Shape&, DType, const kernels::GatherShape&) {
  no_cuda("gather backward");
}
void one_hot(const Tensor&, int64_t, Tensor&) {
  no_cuda("one_hot");
}
}  // namespace cuda

// ---- engine/ops/cuda/factory.h
namespace cuda {
Tensor uniform(const Shape&, RngState, Device device) {
  no_cuda(fmt::format("rand on {}", device.str()).c_str());
}
Tensor normal(const Shape&, RngState, Device device) {
  no_cuda(fmt::format("randn on {}", device.str()).c_str());
}
Tensor arange(int64_t, double, double, Device device) {
  no_cuda(fmt::format("arange on {}", device.str()).c_str());
}
}  // namespace cuda

// ---- engine/ops/cuda/random.h
namespace cuda {
Tensor apply_row_mask(const Tensor&, int64_t, const kernels::RowMask&, const char* op) {
  no_cuda(op);
}
}  // namespace cuda

// ---- engine/ops/cuda/norm.h
namespace cuda {
void layer_norm_forward(const Tensor&, const Tensor&, const Tensor&, double, const Tensor&,
                        const Tensor&, const Tensor&, int64_t, int64_t) {
  no_cuda("layer_norm");
}
void layer_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, const Tensor&, const Tensor&, int64_t, int64_t) {
  no_cuda("layer_norm backward");
}
void batch_norm_stats(const Tensor&, double, const Tensor&, const Tensor&, const Tensor&, int64_t,
                      int64_t) {
  no_cuda("batch_norm");
}
void batch_norm_update_running(const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                               double) {
  no_cuda("batch_norm running stats");
}
void batch_norm_eval_stats(const Tensor&, const Tensor&, double, const Tensor&, const Tensor&) {
  no_cuda("batch_norm");
}
void batch_norm_forward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                        kernels::NormActivation, const Tensor&, int64_t, int64_t) {
  no_cuda("batch_norm");
}
void batch_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, kernels::NormActivation, bool, const Tensor&, const Tensor&,
                         const Tensor&, int64_t, int64_t) {
  no_cuda("batch_norm backward");
}
void group_norm_forward(const Tensor&, const Tensor&, const Tensor&, double, const Tensor&,
                        const Tensor&, const Tensor&, kernels::GroupNormShape) {
  no_cuda("group_norm");
}
void group_norm_backward(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, const Tensor&, const Tensor&, kernels::GroupNormShape) {
  no_cuda("group_norm backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/loss.h
namespace cuda {
void check_class_indices(const Tensor&, int64_t, int64_t, const char* op) {
  no_cuda(op);
}
void cross_entropy_forward(const Tensor&, const Tensor&, const Tensor&, int64_t, double,
                           const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("cross_entropy");
}
void cross_entropy_backward(const Tensor&, const Tensor&, const Tensor&, int64_t, double,
                            const Tensor&, const Tensor&, const Tensor&, int64_t, double,
                            const Tensor&) {
  no_cuda("cross_entropy backward");
}
void nll_forward(const Tensor&, const Tensor&, int64_t, const Tensor&, const Tensor&) {
  no_cuda("nll_loss");
}
void nll_backward(const Tensor&, const Tensor&, int64_t, const Tensor&, int64_t, double,
                  const Tensor&) {
  no_cuda("nll_loss backward");
}
void focal_forward(const Tensor&, int64_t, const kernels::FocalParams&, const Tensor&,
                   const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("focal_loss");
}
void focal_backward(const Tensor&, int64_t, const kernels::FocalParams&, const Tensor&,
                    const Tensor&, const Tensor&, const Tensor&, int64_t, double, const Tensor&) {
  no_cuda("focal_loss backward");
}
void bce_with_logits_forward(const kernels::Loop<5>&, const Tensor&, const Tensor&, const Tensor&,
                             const Tensor&, const Tensor&) {
  no_cuda("binary_cross_entropy_with_logits");
}
void bce_with_logits_backward(const kernels::Loop<6>&, double, const Tensor&, const Tensor&,
                              const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("binary_cross_entropy_with_logits backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/softmax.h
namespace cuda {
void softmax_forward(const kernels::SoftmaxShape&, bool log, const Tensor&, const Tensor&) {
  no_cuda(log ? "log_softmax" : "softmax");
}
void softmax_backward(const kernels::SoftmaxShape&, bool log, const Tensor&, const Tensor&,
                      const Tensor&) {
  no_cuda(log ? "log_softmax backward" : "softmax backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/conv.h
namespace cuda {
Tensor conv2d_forward(const kernels::Conv2dShape&, const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("conv2d");
}
Tensor conv2d_backward_data(const kernels::Conv2dShape&, const Tensor&, const Tensor&, DType) {
  no_cuda("conv2d backward");
}
Tensor conv2d_backward_weight(const kernels::Conv2dShape&, const Tensor&, const Tensor&, DType) {
  no_cuda("conv2d backward");
}
}  // namespace cuda

// ---- engine/ops/cuda/matmul.h
namespace cuda {
void gemm_batched(const kernels::GemmShape&, int64_t, const Tensor&, int64_t, int64_t,
                  const Tensor&, int64_t, int64_t, float, Tensor&, int64_t, int64_t) {
  no_cuda("matmul");
}
Tensor linear(const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("linear");
}
Tensor linear_bias_gelu_tanh(const Tensor&, const Tensor&, const Tensor&) {
  no_cuda("linear_bias_gelu_tanh");
}
}  // namespace cuda

}  // namespace fovea
