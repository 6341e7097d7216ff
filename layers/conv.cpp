#include "layers/conv.h"

#include <cmath>

#include "layers/init.h"

namespace fovea {

int64_t symmetric_padding(int64_t kernel, int64_t stride, int64_t dilation) {
  return ((stride - 1) + dilation * (kernel - 1)) / 2;
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dConfig& config)
    : Module("Conv2d") {
  FOVEA_CHECK(
      config.groups > 0 && in_channels % config.groups == 0 && out_channels % config.groups == 0,
      "Conv2d({}, {}): groups {} must divide both channel counts", in_channels, out_channels,
      config.groups);
  options_ = {.stride = config.stride.array(),
              .padding = config.padding.array(),
              .dilation = config.dilation.array(),
              .groups = config.groups};
  Tensor w = empty({out_channels, config.kernel.h, config.kernel.w, in_channels / config.groups});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  register_parameter("weight", &weight, w);
  if (config.bias) {
    Tensor b = empty({out_channels});
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(w).in));
    init::uniform_(b, -bound, bound);
    register_parameter("bias", &bias, b);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, options_);
}

}  // namespace fovea
