#include "layers/squeeze_excite.h"

#include "engine/ops/squeeze_excite.h"

namespace fovea {

SqueezeExcite::SqueezeExcite(int64_t channels, const SqueezeExciteConfig& config)
    : Module("SqueezeExcite"),
      act_(activation_kind(config.act)),
      gate_(activation_kind(config.gate)) {
  FOVEA_CHECK(config.reduced_channels > 0, "SqueezeExcite({}): reduced_channels must be positive",
              channels);
  reduce = register_module(
      config.reduce_name,
      std::make_shared<Conv2d>(channels, config.reduced_channels, Conv2dConfig{.kernel = 1}));
  expand = register_module(
      config.expand_name,
      std::make_shared<Conv2d>(config.reduced_channels, channels, Conv2dConfig{.kernel = 1}));
}

Tensor SqueezeExcite::forward(const Tensor& x) {
  // The fused squeeze and scale kernels on CUDA; mean and mul on the CPU.
  Tensor s = channel_mean(x);  // [N, 1, 1, C]
  s = activate(gate_, (*expand)(activate(act_, (*reduce)(s))));
  return channel_scale(x, s);
}

}  // namespace fovea
