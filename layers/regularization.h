#pragma once
// Dropout and DropPath (stochastic depth, Huang et al. 2016): both are the identity in
// eval mode and draw their masks from the default Philox generator in training.
#include <vector>

#include "layers/module.h"

namespace fovea {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  double p;
};

// Drops a whole residual branch per sample, as timm's DropPath.
class DropPath : public Module {
 public:
  explicit DropPath(double p = 0.0);
  Tensor forward(const Tensor& x) override;
  double p;
};

// Stochastic depth's linear rule (Huang et al. 2016, as timm builds it): the drop rate
// rises from 0 at the first block to `rate` at the last, over all blocks of the network.
// Returns one list per stage, `depths[s]` rates long. timm: torch.linspace(0, rate,
// sum(depths)).split(depths). timm's EfficientNet builder divides by the block count
// instead of one less, so there the rate is reached one block past the last.
enum class DropPathEnd { last_block, one_past_last_block };
std::vector<std::vector<double>> drop_path_rates(double rate, const std::vector<int64_t>& depths,
                                                 DropPathEnd end = DropPathEnd::last_block);

}  // namespace fovea
