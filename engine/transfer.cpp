#include "engine/transfer.h"

#include <vector>

#include "engine/autograd.h"

#ifdef FOVEA_HAS_CUDA
#include "kernels/cuda_check.h"
#endif

namespace fovea {

#ifdef FOVEA_HAS_CUDA

namespace {
cudaMemcpyKind copy_kind(Device dst, Device src) {
  if (dst.is_cpu()) return cudaMemcpyDeviceToHost;
  return src.is_cpu() ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToDevice;
}
}  // namespace

// Bytes move only between contiguous buffers of the same dtype; any broadcast, stride or
// dtype change happens on the CPU side first (or on a staging copy for device-to-host).
void copy_across_devices(Tensor& dst, const Tensor& src) {
  NoGradGuard no_grad;
  if (src.device().is_cpu()) {
    Tensor staged = make_tensor(dst.shape(), dst.dtype(), Device::cpu());
    staged.copy_(src);
    FOVEA_CHECK(dst.is_contiguous(),
                "copy_: host-to-device copy into a non-contiguous CUDA tensor of shape {} is not "
                "supported; copy into a contiguous tensor first",
                shape_str(dst.shape()));
    FOVEA_CUDA_CHECK(cudaMemcpy(dst.raw_data(), staged.raw_data(), dst.nbytes(),
                                copy_kind(dst.device(), Device::cpu())));
    return;
  }
  FOVEA_CHECK(src.is_contiguous() && src.shape() == dst.shape() && src.dtype() == dst.dtype(),
              "copy_: copies out of a CUDA tensor need a contiguous source of the destination's "
              "shape and dtype (got {} {} into {} {})",
              dtype_name(src.dtype()), shape_str(src.shape()), dtype_name(dst.dtype()),
              shape_str(dst.shape()));
  if (dst.is_contiguous()) {
    if (dst.device().is_cuda() && src.device().is_cuda() && dst.device() != src.device()) {
      FOVEA_CUDA_CHECK(cudaMemcpyPeer(dst.raw_data(), dst.device().index, src.raw_data(),
                                      src.device().index, dst.nbytes()));
    } else {
      FOVEA_CUDA_CHECK(cudaMemcpy(dst.raw_data(), src.raw_data(), dst.nbytes(),
                                  copy_kind(dst.device(), src.device())));
    }
    return;
  }
  FOVEA_CHECK(dst.device().is_cpu(), "copy_: device-to-device copy into a non-contiguous tensor");
  Tensor staged = make_tensor(src.shape(), src.dtype(), Device::cpu());
  FOVEA_CUDA_CHECK(
      cudaMemcpy(staged.raw_data(), src.raw_data(), src.nbytes(), cudaMemcpyDeviceToHost));
  dst.copy_(staged);
}

void fill_on_device(Tensor& dst, double value) {
  Tensor host = make_tensor(dst.shape(), dst.dtype(), Device::cpu());
  host.fill_(value);
  copy_across_devices(dst, host);
}

#else

void copy_across_devices(Tensor& dst, const Tensor& src) {
  fail("copy_: {} -> {} needs the CUDA backend, and this build has FOVEA_CUDA=OFF",
       src.device().str(), dst.device().str());
}

void fill_on_device(Tensor& dst, double) {
  fail("fill_: tensor on {} needs the CUDA backend, and this build has FOVEA_CUDA=OFF",
       dst.device().str());
}

#endif

}  // namespace fovea
