#include "engine/ops/dispatch.h"

#include "engine/autograd.h"

namespace fovea {

Device common_device(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined()) continue;
    if (first == nullptr) {
      first = t;
    } else if (t->device() != first->device()) {
      fail("{}: tensors are on different devices ({} and {}); move them to one device first", op,
           first->device().str(), t->device().str());
    }
  }
  FOVEA_CHECK(first != nullptr, "{}: no defined tensor given", op);
  return first->device();
}

void check_inplace(const Tensor& self, const char* op) {
  FOVEA_CHECK(!(GradMode::enabled() && self.requires_grad()),
              "{}: in-place change of a tensor that requires grad (shape {}); do it inside a "
              "NoGradGuard, or use the out-of-place op",
              op, shape_str(self.shape()));
}

void check_floating(const Tensor& tensor, const char* op, const char* what) {
  FOVEA_CHECK(is_floating(tensor.dtype()), "{}: {} must be a floating tensor, got {} of shape {}",
              op, what, dtype_name(tensor.dtype()), shape_str(tensor.shape()));
}

void check_dim(const Tensor& tensor, int64_t ndim, const char* op, const char* what) {
  FOVEA_CHECK(tensor.dim() == ndim, "{}: {} must have {} dims, got shape {}", op, what, ndim,
              shape_str(tensor.shape()));
}

}  // namespace fovea
