// Views: new geometry over the same storage, and their backward. Also the copies that
// views need (contiguous, clone) and the differentiable conversions to(dtype/device).
#include <algorithm>
#include <numeric>
#include <optional>

#include "engine/autograd.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "engine/profile.h"
#include "engine/tensor.h"

namespace fovea {

namespace {

// Resolves one -1 in a requested shape against `numel`.
Shape infer_shape(const Shape& requested, int64_t numel, const char* op) {
  Shape shape = requested;
  int64_t known = 1;
  std::optional<size_t> unknown;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      FOVEA_CHECK(!unknown, "{}: only one dimension can be -1, got {}", op, shape_str(requested));
      unknown = i;
    } else {
      FOVEA_CHECK(shape[i] >= 0, "{}: invalid size {} in {}", op, shape[i], shape_str(requested));
      known *= shape[i];
    }
  }
  if (unknown) {
    FOVEA_CHECK(known != 0 && numel % known == 0,
                "{}: shape {} is invalid for a tensor of {} elements", op, shape_str(requested),
                numel);
    shape[*unknown] = numel / known;
  }
  FOVEA_CHECK(shape_numel(shape) == numel, "{}: shape {} is invalid for a tensor of {} elements",
              op, shape_str(requested), numel);
  return shape;
}

// Strides that let `new_shape` view memory laid out as (old_shape, old_strides), or
// nothing when the view would need a copy. Groups of old dims that are contiguous with
// each other ("chunks") can be re-split freely; a view may not cross a chunk boundary.
std::optional<Shape> view_strides(const Shape& old_shape_in, const Shape& old_strides_in,
                                  const Shape& new_shape) {
  const Shape old_shape = old_shape_in.empty() ? Shape{1} : old_shape_in;
  const Shape old_strides = old_strides_in.empty() ? Shape{1} : old_strides_in;
  if (shape_numel(old_shape) == 0) return contiguous_strides(new_shape);
  Shape new_strides(new_shape.size());
  int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_shape[tensor_d];
    const bool chunk_ends =
        tensor_d == 0 || (old_shape[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
      new_strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= new_shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (tensor_d > 0) {
      chunk_base_stride = old_strides[tensor_d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

// Records `out` as a view of `self` whose gradient is `backward(grad)`.
template <typename Backward>
Tensor record_view(const char* name, const Tensor& self, Tensor out, Backward backward) {
  record_op(name, {self}, {out},
            [backward](const BackwardContext& ctx) { return TensorList{backward(ctx.grad())}; });
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), "view");
  const auto strides_for_view = view_strides(this->shape(), strides(), shape);
  FOVEA_CHECK(strides_for_view,
              "view: shape {} is not compatible with the input's shape {} and strides {}; use "
              "reshape(), which copies when it must",
              shape_str(shape), shape_str(this->shape()), shape_str(strides()));
  Tensor out = make_view(*this, shape, *strides_for_view, storage_offset());
  return record_view("view", *this, out,
                     [in_shape = this->shape()](const Tensor& g) { return g.reshape(in_shape); });
}

Tensor Tensor::reshape(const Shape& requested) const {
  const Shape shape = infer_shape(requested, numel(), "reshape");
  if (view_strides(this->shape(), strides(), shape)) return view(shape);
  return contiguous().view(shape);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  const int64_t n = dim();
  FOVEA_CHECK(static_cast<int64_t>(dims.size()) == n,
              "permute: {} dims given for a tensor of shape {}", dims.size(), shape_str(shape()));
  std::vector<int64_t> order(n), inverse(n, -1);
  Shape new_shape(n), new_strides(n);
  for (int64_t i = 0; i < n; ++i) {
    order[i] = normalize_dim(dims[i], n, "permute");
    FOVEA_CHECK(inverse[order[i]] == -1, "permute: dim {} appears twice in [{}]", order[i],
                fmt::join(dims, ", "));
    inverse[order[i]] = i;
    new_shape[i] = shape()[order[i]];
    new_strides[i] = strides()[order[i]];
  }
  Tensor out = make_view(*this, new_shape, new_strides, storage_offset());
  return record_view("permute", *this, out,
                     [inverse](const Tensor& g) { return g.permute(inverse); });
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  std::vector<int64_t> order(dim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[normalize_dim(dim0, dim(), "transpose")],
            order[normalize_dim(dim1, dim(), "transpose")]);
  return permute(order);
}

Tensor Tensor::slice(int64_t dim_in, int64_t start, int64_t end, int64_t step) const {
  const int64_t d = normalize_dim(dim_in, dim(), "slice");
  FOVEA_CHECK(step > 0, "slice: step must be positive, got {}", step);
  const int64_t size = shape()[d];
  // Python slice semantics: negative indices count from the end, and bounds clamp.
  auto clamp_index = [size](int64_t i) {
    if (i < 0) i += size;
    return std::clamp<int64_t>(i, 0, size);
  };
  start = clamp_index(start);
  end = std::max(clamp_index(end), start);
  Shape new_shape = shape(), new_strides = strides();
  new_shape[d] = (end - start + step - 1) / step;
  new_strides[d] = strides()[d] * step;
  Tensor out = make_view(*this, new_shape, new_strides, storage_offset() + start * strides()[d]);
  return record_view(
      "slice", *this, out, [in_shape = shape(), d, start, end, step](const Tensor& g) {
        Tensor full_grad = zeros(in_shape, {.dtype = g.dtype(), .device = g.device()});
        full_grad.slice(d, start, end, step).copy_(g);
        return full_grad;
      });
}

Tensor Tensor::narrow(int64_t dim_in, int64_t start, int64_t length) const {
  const int64_t d = normalize_dim(dim_in, dim(), "narrow");
  const int64_t size = shape()[d];
  if (start < 0) start += size;
  FOVEA_CHECK(start >= 0 && length >= 0 && start + length <= size,
              "narrow: [{}, {}) is out of range for dim {} of size {} (shape {})", start,
              start + length, d, size, shape_str(shape()));
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t dim_in, int64_t index) const {
  const int64_t d = normalize_dim(dim_in, dim(), "select");
  const int64_t size = shape()[d];
  FOVEA_CHECK(index >= -size && index < size,
              "select: index {} is out of range for dim {} of size {}", index, d, size);
  return narrow(d, index < 0 ? index + size : index, 1).squeeze(d);
}

Tensor Tensor::expand(const Shape& requested) const {
  const int64_t n = static_cast<int64_t>(requested.size());
  FOVEA_CHECK(n >= dim(), "expand: cannot expand shape {} to fewer dims {}", shape_str(shape()),
              shape_str(requested));
  Shape new_shape(n), new_strides(n, 0);
  const int64_t lead = n - dim();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t want = requested[i];
    if (i < lead) {
      FOVEA_CHECK(want >= 0, "expand: -1 is not allowed for a new leading dim in {}",
                  shape_str(requested));
      new_shape[i] = want;
      continue;
    }
    const int64_t have = shape()[i - lead];
    if (want == -1 || want == have) {
      new_shape[i] = have;
      new_strides[i] = strides()[i - lead];
    } else {
      FOVEA_CHECK(have == 1, "expand: dim {} of size {} cannot expand to {} (shape {} to {})",
                  i - lead, have, want, shape_str(shape()), shape_str(requested));
      new_shape[i] = want;
    }
  }
  Tensor out = make_view(*this, new_shape, new_strides, storage_offset());
  return record_view("expand", *this, out,
                     [in_shape = shape()](const Tensor& g) { return sum_to(g, in_shape); });
}

Tensor Tensor::squeeze(int64_t dim_in) const {
  const int64_t d = normalize_dim(dim_in, dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape new_shape = shape(), new_strides = strides();
  new_shape.erase(new_shape.begin() + d);
  new_strides.erase(new_strides.begin() + d);
  Tensor out = make_view(*this, new_shape, new_strides, storage_offset());
  return record_view("squeeze", *this, out,
                     [in_shape = shape()](const Tensor& g) { return g.reshape(in_shape); });
}

Tensor Tensor::squeeze() const {
  Shape new_shape;
  for (int64_t s : shape()) {
    if (s != 1) new_shape.push_back(s);
  }
  return reshape(new_shape);
}

Tensor Tensor::unsqueeze(int64_t dim_in) const {
  const int64_t d = normalize_dim(dim_in, dim() + 1, "unsqueeze");
  Shape new_shape = shape(), new_strides = strides();
  const int64_t stride = d < dim() ? strides()[d] * shape()[d] : 1;
  new_shape.insert(new_shape.begin() + d, 1);
  new_strides.insert(new_strides.begin() + d, stride);
  Tensor out = make_view(*this, new_shape, new_strides, storage_offset());
  return record_view("unsqueeze", *this, out,
                     [in_shape = shape()](const Tensor& g) { return g.reshape(in_shape); });
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int64_t start = normalize_dim(start_dim, dim(), "flatten");
  const int64_t end = normalize_dim(end_dim, dim(), "flatten");
  FOVEA_CHECK(start <= end, "flatten: start_dim {} is after end_dim {}", start, end);
  Shape new_shape(shape().begin(), shape().begin() + start);
  int64_t merged = 1;
  for (int64_t i = start; i <= end; ++i) merged *= shape()[i];
  new_shape.push_back(merged);
  new_shape.insert(new_shape.end(), shape().begin() + end + 1, shape().end());
  return reshape(new_shape);
}

Tensor Tensor::contiguous() const {
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  const profile::OpScope scope("clone", *this);
  Tensor out = make_tensor(shape(), dtype(), device());
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  if (is_floating(dtype())) {
    record_op("clone", {*this}, {out},
              [](const BackwardContext& ctx) { return TensorList{ctx.grad()}; });
  }
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  const profile::OpScope scope("to_dtype", *this);
  Tensor out = make_tensor(shape(), target, device());
  {
    NoGradGuard no_grad;
    out.copy_(*this);
  }
  if (is_floating(target) && is_floating(dtype())) {
    record_op("to_dtype", {*this}, {out}, [source = dtype()](const BackwardContext& ctx) {
      return TensorList{ctx.grad().to(source)};
    });
  }
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  const profile::OpScope scope("to_device", *this);
  Tensor out = make_tensor(shape(), dtype(), target);
  {
    NoGradGuard no_grad;
    out.copy_(contiguous());
  }
  if (is_floating(dtype())) {
    record_op("to_device", {*this}, {out}, [source = device()](const BackwardContext& ctx) {
      return TensorList{ctx.grad().to(source)};
    });
  }
  return out;
}

}  // namespace fovea
