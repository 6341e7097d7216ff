#include "layers/conv.h"

#include <cmath>

#include "layers/init.h"

namespace fovea {

namespace {
int64_t symmetric_padding(int64_t kernel, int64_t stride, int64_t dilation) {
  return ((stride - 1) + dilation * (kernel - 1)) / 2;
}
}  // namespace

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, const Conv2dConfig& config)
    : Module("Conv2d") {
  FOVEA_CHECK(
      config.groups > 0 && in_channels % config.groups == 0 && out_channels % config.groups == 0,
      "Conv2d({}, {}): groups {} must divide both channel counts", in_channels, out_channels,
      config.groups);
  options_.stride = config.stride;
  options_.dilation = config.dilation;
  options_.groups = config.groups;
  for (int i = 0; i < 2; ++i) {
    options_.padding[i] =
        config.padding[i] >= 0
            ? config.padding[i]
            : symmetric_padding(config.kernel[i], config.stride[i], config.dilation[i]);
  }
  Tensor w = empty({out_channels, config.kernel[0], config.kernel[1], in_channels / config.groups});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  register_parameter("weight", &weight, w);
  if (config.bias) {
    Tensor b = empty({out_channels});
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(w).in));
    init::uniform_(b, -bound, bound);
    register_parameter("bias", &bias, b);
  }
}

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride,
               int64_t groups, bool with_bias)
    : Conv2d(in_channels, out_channels,
             Conv2dConfig{.kernel = {kernel, kernel},
                          .stride = {stride, stride},
                          .groups = groups,
                          .bias = with_bias}) {}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, options_);
}

}  // namespace fovea
