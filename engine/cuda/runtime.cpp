#include "engine/cuda/runtime.h"

#include <nvtx3/nvToolsExt.h>

#include <map>
#include <memory>
#include <mutex>

#include "engine/storage.h"
#include "kernels/error.h"

namespace fovea {

void cuda_check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    fail("CUDA error in {}: {} ({})", what, cudaGetErrorString(status), cudaGetErrorName(status));
  }
}

void cublas_check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    fail("cuBLAS error in {}: {} ({})", what, cublasGetStatusString(status),
         cublasGetStatusName(status));
  }
}

void cudnn_check(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS) {
    fail("cuDNN error in {}: {}", what, cudnnGetErrorString(status));
  }
}

void check_launch(const char* kernel) {
  cuda_check(cudaGetLastError(), kernel);
}

void cuda_kernel_error(const std::string& message) {
  fail("{}", message);
}

}  // namespace fovea

namespace fovea::cuda {

namespace {

constexpr int kMaxDevices = 64;
thread_local cudaStream_t tls_current_stream[kMaxDevices] = {};

void check_device_index(int device) {
  FOVEA_CHECK(device >= 0 && device < kMaxDevices, "CUDA device index {} is out of range", device);
}

// One handle of each library per (device, thread): cuBLAS and cuDNN handles are not meant
// to be shared between threads that use them concurrently.
struct Handles {
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  cudnnHandle_t cudnn = nullptr;
  ~Handles() {
    // Destruction order at process exit is not under our control; errors are ignored.
    if (cublas) cublasDestroy(cublas);
    if (cublaslt) cublasLtDestroy(cublaslt);
    if (cudnn) cudnnDestroy(cudnn);
  }
};

Handles& handles_for(int device) {
  check_device_index(device);
  thread_local std::map<int, Handles> per_device;
  return per_device[device];
}

}  // namespace

int current_device() {
  int device = 0;
  FOVEA_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

DeviceGuard::DeviceGuard(int device) : previous_(current_device()) {
  if (device != previous_) FOVEA_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  cudaSetDevice(previous_);
}

cudaStream_t current_stream(int device) {
  check_device_index(device);
  return tls_current_stream[device];
}

StreamGuard::StreamGuard(int device, cudaStream_t stream)
    : device_(device), previous_(current_stream(device)) {
  tls_current_stream[device] = stream;
}

StreamGuard::~StreamGuard() {
  tls_current_stream[device_] = previous_;
}

Stream::Stream(int device) : device_(device) {
  DeviceGuard on(device);
  FOVEA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

Stream::~Stream() {
  DeviceGuard on(device_);
  cudaStreamDestroy(stream_);
}

void Stream::synchronize() const {
  FOVEA_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

cublasHandle_t cublas_handle(int device) {
  Handles& h = handles_for(device);
  DeviceGuard on(device);
  if (!h.cublas) {
    FOVEA_CUBLAS_CHECK(cublasCreate(&h.cublas));
    // Tensor cores for f32 GEMMs only when asked for: fovea's f32 must match the CPU at 1e-5.
    FOVEA_CUBLAS_CHECK(cublasSetMathMode(h.cublas, CUBLAS_DEFAULT_MATH));
  }
  FOVEA_CUBLAS_CHECK(cublasSetStream(h.cublas, current_stream(device)));
  return h.cublas;
}

cublasLtHandle_t cublaslt_handle(int device) {
  Handles& h = handles_for(device);
  if (!h.cublaslt) {
    DeviceGuard on(device);
    FOVEA_CUBLAS_CHECK(cublasLtCreate(&h.cublaslt));
  }
  return h.cublaslt;  // cuBLASLt takes the stream per call
}

cudnnHandle_t cudnn_handle(int device) {
  Handles& h = handles_for(device);
  DeviceGuard on(device);
  if (!h.cudnn) FOVEA_CUDNN_CHECK(cudnnCreate(&h.cudnn));
  FOVEA_CUDNN_CHECK(cudnnSetStream(h.cudnn, current_stream(device)));
  return h.cudnn;
}

void* workspace(int device, size_t bytes) {
  check_device_index(device);
  // Per thread, so that two threads never hand one buffer to concurrent kernels.
  thread_local std::map<int, std::unique_ptr<Storage>> buffers;
  auto& buffer = buffers[device];
  if (!buffer || buffer->nbytes() < bytes) {
    buffer.reset();  // give the old block back before asking for a bigger one
    buffer = std::make_unique<Storage>(bytes, Device::cuda(device));
  }
  return buffer->data();
}

bool built() {
  return true;
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

void timeline_push(const char* name) {
  nvtxRangePushA(name);
}
void timeline_pop() {
  nvtxRangePop();
}

}  // namespace fovea::cuda
