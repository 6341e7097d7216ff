#include "layers/pooling.h"

#include "engine/ops/pool.h"

namespace fovea {

MaxPool2d::MaxPool2d(int64_t kernel_, int64_t stride_, int64_t padding_, bool ceil_mode_)
    : Module("MaxPool2d"),
      kernel(kernel_),
      stride(stride_),
      padding(padding_),
      ceil_mode(ceil_mode_) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, ceil_mode);
}

AvgPool2d::AvgPool2d(int64_t kernel_, int64_t stride_, int64_t padding_, bool ceil_mode_,
                     bool count_include_pad_)
    : Module("AvgPool2d"),
      kernel(kernel_),
      stride(stride_),
      padding(padding_),
      ceil_mode(ceil_mode_),
      count_include_pad(count_include_pad_) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, {kernel, kernel}, {stride, stride}, {padding, padding}, ceil_mode,
                    count_include_pad);
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::array<int64_t, 2> size)
    : Module("AdaptiveAvgPool2d"), output_size(size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return adaptive_avg_pool2d(x, output_size);
}

Tensor GlobalAvgPool::forward(const Tensor& x) {
  FOVEA_CHECK(x.dim() == 4, "GlobalAvgPool: expected an NHWC image batch, got shape {}",
              shape_str(x.shape()));
  return mean(x, {1, 2});
}

}  // namespace fovea
