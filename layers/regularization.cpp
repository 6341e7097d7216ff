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

std::vector<std::vector<double>> drop_path_rates(double rate, const std::vector<int64_t>& depths,
                                                 DropPathEnd end) {
  int64_t total = 0;
  for (int64_t depth : depths) total += depth;
  // The step count: from block 0 to the block that reaches `rate`.
  const int64_t steps = end == DropPathEnd::last_block ? total - 1 : total;
  std::vector<std::vector<double>> rates;
  int64_t block = 0;
  for (int64_t depth : depths) {
    std::vector<double>& stage = rates.emplace_back();
    for (int64_t i = 0; i < depth; ++i, ++block) {
      stage.push_back(steps > 0 ? rate * static_cast<double>(block) / static_cast<double>(steps)
                                : 0.0);
    }
  }
  return rates;
}

}  // namespace fovea
