#include "engine/transfer.h"

#include <optional>
#include <vector>

#include "engine/autograd.h"
#include "engine/cuda/runtime.h"
#include "engine/host_sync.h"
#include "engine/ops/loops.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/copy.h"

namespace fovea {

namespace {

// A contiguous device copy of `src` (its shape and dtype) on src's device.
Tensor contiguous_on_device(const Tensor& src) {
  if (src.is_contiguous()) return src;
  Tensor packed = make_tensor(src.shape(), src.dtype(), src.device());
  copy_across_devices(packed, src);
  return packed;
}

// Moves nbytes between contiguous buffers on the destination's (or source's) stream and
// waits, so that a host buffer may be freed or read as soon as this returns.
void memcpy_blocking(void* dst, Device dst_device, const void* src, Device src_device,
                     size_t nbytes) {
  if (nbytes == 0) return;
  const Device cuda_side = dst_device.is_cuda() ? dst_device : src_device;
  const cudaStream_t stream = cuda::current_stream(cuda_side.index);
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device != src_device) {
    FOVEA_CUDA_CHECK(
        cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, nbytes, stream));
  } else {
    const cudaMemcpyKind kind = dst_device.is_cpu()   ? cudaMemcpyDeviceToHost
                                : src_device.is_cpu() ? cudaMemcpyHostToDevice
                                                      : cudaMemcpyDeviceToDevice;
    FOVEA_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, kind, stream));
  }
  FOVEA_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace

// Within one CUDA device, any broadcast, stride or dtype change is one kernel
// (kernels/cuda/copy.cu). Across the host boundary (or between devices) bytes move only
// between contiguous buffers of one dtype: the conversion happens on the host side for
// uploads and on the device side for downloads, before the memcpy.
void copy_across_devices(Tensor& dst, const Tensor& src) {
  NoGradGuard no_grad;
  if (dst.device() == src.device()) {  // both on one CUDA device
    kernels::cuda::copy(loop_over<2>(dst.shape(), {&dst, &src}), dst.dtype(), dst.raw_data(),
                        src.dtype(), src.raw_data(), cuda::current_stream(dst.device().index));
    return;
  }
  if (src.device().is_cpu()) {  // upload: convert and lay out on the host
    Tensor staged = make_tensor(dst.shape(), dst.dtype(), Device::cpu());
    staged.copy_(src);
    Tensor target = dst.is_contiguous() ? dst : make_tensor(dst.shape(), dst.dtype(), dst.device());
    memcpy_blocking(target.raw_data(), target.device(), staged.raw_data(), Device::cpu(),
                    staged.nbytes());
    if (!target.is_same(dst)) copy_across_devices(dst, target);
    return;
  }
  // Download or device-to-device: pack the source in its own dtype on its device.
  std::optional<HostSyncScope> host_read;
  if (dst.device().is_cpu()) host_read.emplace();
  const Tensor packed = contiguous_on_device(src);
  if (dst.is_contiguous() && dst.dtype() == src.dtype() && dst.shape() == src.shape()) {
    memcpy_blocking(dst.raw_data(), dst.device(), packed.raw_data(), packed.device(),
                    packed.nbytes());
    return;
  }
  Tensor staged = make_tensor(src.shape(), src.dtype(), dst.device());
  memcpy_blocking(staged.raw_data(), staged.device(), packed.raw_data(), packed.device(),
                  packed.nbytes());
  dst.copy_(staged);
}

void fill_on_device(Tensor& dst, double value) {
  kernels::cuda::fill(loop_over<1>(dst.shape(), {&dst}), dst.dtype(), dst.raw_data(), value,
                      cuda::current_stream(dst.device().index));
}

}  // namespace fovea
