#include "layers/regularization.h"

#include "engine/ops/random.h"

namespace fovea {

namespace {
void check_probability(double p, const char* layer) {
  FOVEA_CHECK(p >= 0.0 && p < 1.0, "{}: drop probability must be in [0, 1), got {}", layer, p);
}
}  // namespace

Dropout::Dropout(double p_) : Module("Dropout"), p(p_) {
  check_probability(p, "Dropout");
}

Tensor Dropout::forward(const Tensor& x) {
  return p == 0.0 ? x : dropout(x, p, is_training());
}

DropPath::DropPath(double p_) : Module("DropPath"), p(p_) {
  check_probability(p, "DropPath");
}

Tensor DropPath::forward(const Tensor& x) {
  return p == 0.0 ? x : drop_path(x, p, is_training());
}

}  // namespace fovea
