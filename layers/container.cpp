#include "layers/container.h"

namespace fovea {

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (const auto& [name, child] : children()) out = (*child)(out);
  return out;
}

}  // namespace fovea
