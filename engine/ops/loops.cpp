#include "engine/ops/loops.h"

namespace fovea {

Shape broadcast_strides(const Tensor& tensor, const Shape& shape, const char* op) {
  const Shape& own = tensor.shape();
  FOVEA_CHECK(own.size() <= shape.size(), "{}: tensor of shape {} cannot broadcast to {}", op,
              shape_str(own), shape_str(shape));
  Shape strides(shape.size(), 0);
  const size_t lead = shape.size() - own.size();
  for (size_t i = 0; i < own.size(); ++i) {
    if (own[i] == shape[lead + i]) {
      strides[lead + i] = tensor.strides()[i];
    } else {
      FOVEA_CHECK(own[i] == 1, "{}: tensor of shape {} cannot broadcast to {}", op, shape_str(own),
                  shape_str(shape));
    }
  }
  return strides;
}

}  // namespace fovea
