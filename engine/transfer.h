#pragma once
// Moving data between the host and CUDA devices. On a CPU-only build these throw.
#include "engine/tensor.h"

namespace fovea {

// dst.copy_(src) when either side is on a CUDA device.
void copy_across_devices(Tensor& dst, const Tensor& src);
// dst.fill_(value) for a CUDA tensor.
void fill_on_device(Tensor& dst, double value);

}  // namespace fovea
