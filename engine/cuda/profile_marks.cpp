// The profiler's CUDA timing marks: one event per mark, recorded on the current stream of
// the op's device, read back with cudaEventElapsedTime when the table is printed, so the
// profiled steps themselves never wait for the GPU.
#include <cuda_runtime.h>

#include <mutex>
#include <vector>

#include "engine/cuda/runtime.h"
#include "kernels/cuda/check.h"

namespace fovea::cuda {

namespace {

std::mutex marks_mutex;
std::vector<cudaEvent_t> marks;

}  // namespace

int64_t profile_mark(int device) {
  DeviceGuard on(device);
  cudaEvent_t event = nullptr;
  FOVEA_CUDA_CHECK(cudaEventCreate(&event));
  FOVEA_CUDA_CHECK(cudaEventRecord(event, current_stream(device)));
  const std::lock_guard lock(marks_mutex);
  marks.push_back(event);
  return static_cast<int64_t>(marks.size()) - 1;
}

double profile_elapsed_ms(int64_t from, int64_t to) {
  cudaEvent_t begin = nullptr, end = nullptr;
  {
    const std::lock_guard lock(marks_mutex);
    begin = marks.at(static_cast<size_t>(from));
    end = marks.at(static_cast<size_t>(to));
  }
  FOVEA_CUDA_CHECK(cudaEventSynchronize(end));
  float ms = 0;
  FOVEA_CUDA_CHECK(cudaEventElapsedTime(&ms, begin, end));
  return ms;
}

void profile_release_marks() {
  const std::lock_guard lock(marks_mutex);
  for (cudaEvent_t event : marks) cudaEventDestroy(event);
  marks.clear();
}

}  // namespace fovea::cuda
