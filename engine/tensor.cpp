#include "engine/tensor.h"

#include <ostream>

#include "engine/autograd.h"
#include "engine/host_sync.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/loops.h"
#include "engine/profile.h"
#include "engine/transfer.h"
#include "kernels/copy.h"

namespace fovea {

// ---------------------------------------------------------------- shape helpers

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t running = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = running;
    running *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

std::string shape_str(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t wrapped = dim < 0 ? dim + ndim : dim;
  if (wrapped < 0 || wrapped >= ndim) {
    fail("{}: dim {} is out of range for a tensor with {} dims (expected {} to {})", op, dim, ndim,
         -ndim, ndim - 1);
  }
  return wrapped;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail("{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})", op, shape_str(a),
           shape_str(b), i, da, db);
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor make_tensor(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape) {
    FOVEA_CHECK(s >= 0, "cannot make a tensor of shape {}: sizes must be non-negative",
                shape_str(shape));
  }
  auto impl = std::make_shared<TensorImpl>();
  const int64_t bytes = shape_numel(shape) * static_cast<int64_t>(dtype_size(dtype));
  profile::count_allocated(bytes);
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(bytes), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

// ---------------------------------------------------------------- metadata

namespace {
const TensorImpl& checked(const TensorImpl* impl) {
  FOVEA_CHECK(impl != nullptr, "use of an undefined Tensor (default-constructed or moved-from)");
  return *impl;
}
}  // namespace

const Shape& Tensor::shape() const {
  return checked(impl_.get()).shape;
}
const Shape& Tensor::strides() const {
  return checked(impl_.get()).strides;
}
int64_t Tensor::dim() const {
  return static_cast<int64_t>(shape().size());
}
int64_t Tensor::size(int64_t d) const {
  return shape()[normalize_dim(d, dim(), "size")];
}
int64_t Tensor::stride(int64_t d) const {
  return strides()[normalize_dim(d, dim(), "stride")];
}
int64_t Tensor::storage_offset() const {
  return checked(impl_.get()).offset;
}
int64_t Tensor::numel() const {
  return shape_numel(shape());
}
DType Tensor::dtype() const {
  return checked(impl_.get()).dtype;
}
Device Tensor::device() const {
  return checked(impl_.get()).storage->device();
}
size_t Tensor::nbytes() const {
  return static_cast<size_t>(numel()) * dtype_size(dtype());
}
const StoragePtr& Tensor::storage() const {
  return checked(impl_.get()).storage;
}

bool Tensor::is_contiguous() const {
  const Shape& sh = shape();
  const Shape& st = strides();
  int64_t expected = 1;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;  // the stride of a size-1 dim never matters
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& impl = checked(impl_.get());
  return static_cast<char*>(impl.storage->data()) + impl.offset * dtype_size(impl.dtype);
}

void Tensor::check_dtype(DType expected, const char* what) const {
  if (dtype() != expected) {
    fail("{}: tensor of shape {} has dtype {}, expected {}", what, shape_str(shape()),
         dtype_name(dtype()), dtype_name(expected));
  }
}

double Tensor::item() const {
  FOVEA_CHECK(numel() == 1, "item(): tensor of shape {} has {} elements, expected exactly one",
              shape_str(shape()), numel());
  return to_vector<double>()[0];
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  HostSyncScope host_read;
  Tensor host = device().is_cpu() ? *this : detach().to(Device::cpu());
  std::vector<T> out(static_cast<size_t>(numel()));
  const kernels::Loop<2> loop = loop_over<2>(shape(), {nullptr, &host});
  kernels::cpu::copy(loop, dtype_of<T>(), out.data(), host.dtype(), host.raw_data());
  return out;
}

template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

// ---------------------------------------------------------------- autograd accessors

bool Tensor::requires_grad() const {
  const TensorImpl& impl = checked(impl_.get());
  return impl.autograd && impl.autograd->requires_grad;
}

Tensor& Tensor::requires_grad_(bool enabled) {
  FOVEA_CHECK(is_leaf(),
              "requires_grad_(): only leaf tensors can change requires_grad; this tensor was "
              "made by '{}' (use detach() to get a leaf)",
              grad_fn()->name());
  FOVEA_CHECK(!enabled || is_floating(dtype()),
              "requires_grad_(): only floating tensors can require grad, this one is {}",
              dtype_name(dtype()));
  impl_->autograd_meta().requires_grad = enabled;
  return *this;
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const TensorImpl& impl = checked(impl_.get());
  return impl.autograd ? impl.autograd->grad : undefined;
}

void Tensor::set_grad(const Tensor& grad) const {
  impl_->autograd_meta().grad = grad;
}

bool Tensor::is_leaf() const {
  return grad_fn() == nullptr;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  const TensorImpl& impl = checked(impl_.get());
  return impl.autograd ? impl.autograd->grad_fn : none;
}

int Tensor::output_nr() const {
  const TensorImpl& impl = checked(impl_.get());
  return impl.autograd ? impl.autograd->output_nr : 0;
}

void Tensor::retain_grad() const {
  FOVEA_CHECK(requires_grad(), "retain_grad(): the tensor does not require grad");
  if (is_leaf() || retains_grad()) return;  // leaves keep their grad anyway
  AutogradMeta& meta = impl_->autograd_meta();
  meta.retains_grad = true;
  meta.grad_fn->retained[meta.output_nr].push_back(impl_);
}

bool Tensor::retains_grad() const {
  const TensorImpl& impl = checked(impl_.get());
  return impl.autograd && impl.autograd->retains_grad;
}

Tensor Tensor::detach() const {
  return make_view(*this, shape(), strides(), storage_offset());
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
  Tensor seed = gradient;
  if (!seed.defined()) {
    FOVEA_CHECK(numel() == 1,
                "backward(): a gradient must be given for a tensor of shape {} (only "
                "one-element tensors default to a gradient of 1)",
                shape_str(shape()));
    seed = make_tensor(shape(), dtype(), device());
    NoGradGuard no_grad;
    seed.fill_(1.0);
  }
  run_backward({*this}, {seed}, retain_graph);
}

// ---------------------------------------------------------------- in-place

Tensor& Tensor::fill_(double value) {
  const profile::OpScope scope("fill_", *this);  // the bytes it writes
  check_inplace(*this, "fill_");
  if (device().is_cpu()) {
    kernels::cpu::fill(loop_over<1>(shape(), {this}), dtype(), raw_data(), value);
  } else {
    fill_on_device(*this, value);
  }
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  const profile::OpScope scope("copy_", *this, src);
  check_inplace(*this, "copy_");
  FOVEA_CHECK(broadcast_shapes(shape(), src.shape(), "copy_") == shape(),
              "copy_: source of shape {} does not broadcast to destination shape {}",
              shape_str(src.shape()), shape_str(shape()));
  if (device().is_cpu() && src.device().is_cpu()) {
    kernels::cpu::copy(loop_over<2>(shape(), {this, &src}), dtype(), raw_data(), src.dtype(),
                       src.raw_data());
  } else {
    copy_across_devices(*this, src);
  }
  return *this;
}

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  return os << tensor.str();
}

}  // namespace fovea
