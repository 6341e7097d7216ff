#pragma once
// The CUDA runtime as the ops see it: which device and stream work goes to, and the
// cuBLAS, cuBLASLt and cuDNN handles, created once per device and bound to the stream in
// use. Only compiled with the CUDA backend; the rest of fovea sees engine/cuda_backend.h.
#include <cstddef>

#include "engine/cuda_backend.h"
#include "kernels/cuda/check.h"
#include "kernels/error.h"

namespace fovea::cuda {

// Makes `device` current for its lifetime, then restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

// The stream this thread sends work for `device` to. Without a StreamGuard it is the
// legacy default stream, which orders everything, as PyTorch does.
cudaStream_t current_stream(int device);

class StreamGuard {
 public:
  StreamGuard(int device, cudaStream_t stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  int device_;
  cudaStream_t previous_;
};

// An owned non-blocking stream (for instance the loader's host-to-device copies).
class Stream {
 public:
  explicit Stream(int device);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

// Library handles for `device`, set to the current stream on every call. Created on first
// use and kept for the life of the process (one per device and thread).
cublasHandle_t cublas_handle(int device);
cublasLtHandle_t cublaslt_handle(int device);
cudnnHandle_t cudnn_handle(int device);
// Scratch memory for cuBLASLt and cuDNN algorithms, grown on demand, one per device.
void* workspace(int device, size_t bytes);

}  // namespace fovea::cuda
