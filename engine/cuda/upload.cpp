// Batch uploads that never make the host wait (engine/cuda_backend.h: upload_async).
//
// Each device has one copy stream. An upload waits on the compute stream only for the work
// enqueued before it (so the destination block, which the caching allocator may have just
// taken back from that work, is no longer read), copies on the copy stream, and makes
// the compute stream wait on the copy's event: the kernels that read the batch run after
// it, and the host goes straight on. The trainer uploads batch k + 1 before it enqueues
// batch k's step, so the copy overlaps that step.
//
// The host tensor (a pinned loader buffer) stays referenced until its copy's event has
// completed; only then can the buffer go back to the pool and be refilled.
#include <deque>
#include <memory>
#include <mutex>

#include "engine/cuda/runtime.h"
#include "engine/cuda_backend.h"
#include "engine/tensor.h"
#include "kernels/cuda/check.h"

namespace fovea::cuda {

namespace {

struct InFlight {
  cudaEvent_t done = nullptr;
  Tensor host;  // kept alive until `done`
};

struct CopyQueue {
  explicit CopyQueue(int device) : stream(device) {}
  Stream stream;
  std::deque<InFlight> in_flight;
  std::mutex mutex;

  // Releases the host buffers whose copies have finished, oldest first; copies on one
  // stream finish in order, so the first unfinished one ends the scan.
  void release_finished() {
    while (!in_flight.empty()) {
      const cudaError_t state = cudaEventQuery(in_flight.front().done);
      if (state == cudaErrorNotReady) return;
      FOVEA_CUDA_CHECK(state);
      FOVEA_CUDA_CHECK(cudaEventDestroy(in_flight.front().done));
      in_flight.pop_front();
    }
  }
};

CopyQueue& copy_queue(int device) {
  static std::mutex mutex;
  static std::unique_ptr<CopyQueue> queues[64];
  std::lock_guard<std::mutex> lock(mutex);
  FOVEA_CHECK(device >= 0 && device < 64, "upload_async: CUDA device index {} out of range",
              device);
  if (!queues[device]) queues[device] = std::make_unique<CopyQueue>(device);
  return *queues[device];
}

}  // namespace

Tensor upload_async(const Tensor& host, Device device) {
  FOVEA_CHECK(host.device().is_cpu() && device.is_cuda(),
              "upload_async: copies a CPU tensor to a CUDA device, got {} -> {}",
              host.device().str(), device.str());
  const Tensor source = host.contiguous();
  DeviceGuard guard(device.index);
  Tensor target = make_tensor(source.shape(), source.dtype(), device);
  if (source.nbytes() == 0) return target;
  CopyQueue& queue = copy_queue(device.index);
  std::lock_guard<std::mutex> lock(queue.mutex);
  queue.release_finished();
  const cudaStream_t compute = current_stream(device.index);
  cudaEvent_t compute_so_far = nullptr;
  FOVEA_CUDA_CHECK(cudaEventCreateWithFlags(&compute_so_far, cudaEventDisableTiming));
  FOVEA_CUDA_CHECK(cudaEventRecord(compute_so_far, compute));
  FOVEA_CUDA_CHECK(cudaStreamWaitEvent(queue.stream.get(), compute_so_far, 0));
  FOVEA_CUDA_CHECK(cudaEventDestroy(compute_so_far));  // freed once the wait has run
  FOVEA_CUDA_CHECK(cudaMemcpyAsync(target.raw_data(), source.raw_data(), source.nbytes(),
                                   cudaMemcpyHostToDevice, queue.stream.get()));
  InFlight copy{.host = source};
  FOVEA_CUDA_CHECK(cudaEventCreateWithFlags(&copy.done, cudaEventDisableTiming));
  FOVEA_CUDA_CHECK(cudaEventRecord(copy.done, queue.stream.get()));
  FOVEA_CUDA_CHECK(cudaStreamWaitEvent(compute, copy.done, 0));
  queue.in_flight.push_back(std::move(copy));
  return target;
}

int64_t uploads_in_flight(Device device) {
  CopyQueue& queue = copy_queue(device.index);
  std::lock_guard<std::mutex> lock(queue.mutex);
  queue.release_finished();
  return static_cast<int64_t>(queue.in_flight.size());
}

}  // namespace fovea::cuda
