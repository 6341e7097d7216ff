// The CUDA half of fovea in a CPU-only build (-DFOVEA_CUDA=OFF): CMake compiles this file
// instead of engine/cuda/, kernels/cuda/ and engine/ops/cuda/. It reports no devices, and
// every function that would need a GPU throws one clear error, so the code above the seam
// (ops, modules, trainer) is the same in both builds and holds no #ifdef.
//
// Each engine/ops/cuda/<family>.h gets a section here with the same declarations.
#include "engine/cuda_backend.h"
#include "engine/ops/cuda/optimizer.h"
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

}  // namespace cuda

// ---- engine/transfer.h
void copy_across_devices(Tensor& dst, const Tensor& src) {
  no_cuda(fmt::format("copy_ from {} to {}", src.device().str(), dst.device().str()).c_str());
}
void fill_on_device(Tensor& dst, double) {
  no_cuda(fmt::format("fill_ on {}", dst.device().str()).c_str());
}

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

}  // namespace fovea
