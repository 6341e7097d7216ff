#include "layers/container.h"

#include "engine/checkpoint.h"

namespace fovea {

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (const auto& [name, child] : children()) out = (*child)(out);
  return out;
}

Tensor checkpoint_seq(const ModuleList& blocks, const Tensor& x) {
  Tensor out = x;
  for (const auto& [name, block] : blocks.children()) {
    // The segment holds the block itself, not a reference: backward replays it later.
    out = checkpoint([block = block](const TensorList& in) { return (*block)(in[0]); }, {out});
  }
  return out;
}

}  // namespace fovea
