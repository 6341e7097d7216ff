#pragma once
// Tensor: a strided view (shape, strides, offset, dtype) of a reference-counted Storage,
// plus the autograd metadata that connects it to the graph. Copying a Tensor copies a
// handle, never the data, exactly like torch.Tensor.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "engine/device.h"
#include "kernels/dtype.h"
#include "kernels/error.h"
#include "engine/storage.h"

namespace fovea {

using Shape = std::vector<int64_t>;
class Node;
class Tensor;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_shared() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata ----
  const Shape& shape() const;
  const Shape& strides() const;
  int64_t dim() const;
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  size_t nbytes() const;  // numel * element size
  const StoragePtr& storage() const;

  // ---- data ----
  void* raw_data() const;  // the first element of this view
  template <typename T>
  T* data() const {
    check_dtype(dtype_of<T>(), "data<T>()");
    return static_cast<T*>(raw_data());
  }
  // The single element of a one-element tensor, converted to double (copied from the
  // device if needed).
  double item() const;
  // All elements in logical (row-major) order, converted to T. Copies from the device.
  template <typename T>
  std::vector<T> to_vector() const;

  // ---- views (no copy; differentiable; engine/ops/view.cpp) ----
  Tensor view(const Shape& shape) const;  // needs compatible strides; -1 infers one size
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor select(int64_t dim, int64_t index) const;  // removes `dim`
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze() const;  // every size-1 dim
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;       // always a contiguous copy

  // ---- conversion (differentiable) ----
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor cpu() const { return to(Device::cpu()); }

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool enabled = true);  // leaves only
  const Tensor& grad() const;                   // undefined until a backward reaches it
  void set_grad(const Tensor& grad) const;
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;
  int output_nr() const;
  void retain_grad() const;  // keep .grad() on a non-leaf after backward
  bool retains_grad() const;
  Tensor detach() const;  // same storage, cut from the graph
  // Backpropagates from this tensor. `gradient` defaults to 1 for a one-element tensor.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  // ---- in-place (refused on tensors that require grad while grad mode is on) ----
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }
  Tensor& copy_(const Tensor& src);  // broadcasts src, converts dtype, crosses devices

  std::string str() const;  // printed the way PyTorch prints it

  void check_dtype(DType expected, const char* what) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

// Autograd state of one tensor, created the first time the tensor joins a graph.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;           // null for leaves
  int output_nr = 0;                       // which output of grad_fn this tensor is
  std::weak_ptr<Node> grad_accumulator;    // leaves: the node that adds into .grad
};

struct TensorImpl {
  StoragePtr storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;
  DType dtype = DType::f32;
  std::unique_ptr<AutogradMeta> autograd;

  AutogradMeta& autograd_meta() {
    if (!autograd) autograd = std::make_unique<AutogradMeta>();
    return *autograd;
  }
};

// ---- shape helpers used across the engine ----
int64_t shape_numel(const Shape& shape);
Shape contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);  // "[2, 3, 4]"
// Wraps a negative dim and checks it is in [0, ndim); `op` names the caller in the error.
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);
// The broadcast of two shapes, or an error naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// A tensor over fresh storage with contiguous strides. Not initialised.
Tensor make_tensor(const Shape& shape, DType dtype, Device device);
// A view of `base`'s storage with the given geometry and no autograd history.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace fovea
