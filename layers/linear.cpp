#include "layers/linear.h"

#include <cmath>

#include "engine/ops/matmul.h"
#include "layers/init.h"

namespace fovea {

Linear::Linear(int64_t in_features, int64_t out_features, bool with_bias) : Module("Linear") {
  // PyTorch's default: kaiming_uniform(a = sqrt(5)) for the weight, U(+-1/sqrt(in)) for the
  // bias. Models re-initialise as their papers say (trunc_normal for ViT, zeros for heads).
  Tensor w = empty({out_features, in_features});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  register_parameter("weight", &weight, w);
  if (with_bias) {
    Tensor b = empty({out_features});
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(b, -bound, bound);
    register_parameter("bias", &bias, b);
  }
}

Tensor Linear::forward(const Tensor& x) {
  return linear(x, weight, bias);
}

}  // namespace fovea
