// Shape ops (engine/ops/shape.h): split and chunk as views, pad and roll as block copies
// with the strided copy (either device), and cat/stack and the index ops through one
// device switch into engine/ops/cpu/shape.cpp or engine/ops/cuda/shape.cpp.
#include "engine/ops/shape.h"

#include <algorithm>
#include <map>
#include <optional>

#include "engine/autocast.h"
#include "engine/ops/cpu/shape.h"
#include "engine/ops/cuda/shape.h"
#include "engine/ops/dispatch.h"
#include "engine/ops/factory.h"
#include "engine/profile.h"
#include "kernels/shape.h"

namespace fovea {

namespace {

// torch.autocast runs cat and stack in the widest floating dtype of their inputs, so that
// a bf16 branch (a conv) can join an f32 one (a norm); outside autocast the dtypes must
// already agree.
TensorList promote_under_autocast(const TensorList& tensors) {
  if (!autocast_state().enabled) return tensors;
  std::optional<DType> widest;
  for (const Tensor& t : tensors) {
    if (t.defined() && is_floating(t.dtype())) {
      widest = widest ? promote_types(*widest, t.dtype()) : t.dtype();
    }
  }
  if (!widest) return tensors;
  TensorList promoted;
  for (const Tensor& t : tensors) {
    promoted.push_back(t.defined() && is_floating(t.dtype()) ? t.to(*widest) : t);
  }
  return promoted;
}

Tensor cat_impl(const TensorList& tensors_in, int64_t dim_in, const char* op) {
  FOVEA_CHECK(!tensors_in.empty(), "{}: expected a non-empty list of tensors", op);
  const TensorList tensors = promote_under_autocast(tensors_in);
  for (size_t k = 0; k < tensors.size(); ++k) {
    FOVEA_CHECK(tensors[k].defined(), "{}: tensor {} is undefined", op, k);
  }
  const Tensor& first = tensors[0];
  FOVEA_CHECK(first.dim() > 0, "{}: tensor 0 is 0-dim and cannot be concatenated", op);
  const int64_t dim = normalize_dim(dim_in, first.dim(), op);
  Shape out_shape = first.shape();
  out_shape[dim] = 0;
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor& t = tensors[k];
    FOVEA_CHECK(t.dtype() == first.dtype(),
                "{}: tensor {} is {} but tensor 0 is {}; convert them to one dtype first", op, k,
                dtype_name(t.dtype()), dtype_name(first.dtype()));
    bool same = t.dim() == first.dim();
    for (int64_t d = 0; same && d < t.dim(); ++d) same = d == dim || t.size(d) == first.size(d);
    FOVEA_CHECK(same,
                "{}: tensor {} has shape {} but tensor 0 has {}; all dims but dim {} must match",
                op, k, shape_str(t.shape()), shape_str(first.shape()), dim);
    sizes.push_back(t.size(dim));
    out_shape[dim] += t.size(dim);
  }
  for (const Tensor& t : tensors) common_device(op, {&first, &t});

  Tensor out = make_tensor(out_shape, first.dtype(), first.device());
  int64_t rows = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) rows *= out_shape[d];
  for (int64_t d = dim + 1; d < first.dim(); ++d) inner *= out_shape[d];
  const int64_t elem_size = static_cast<int64_t>(dtype_size(first.dtype()));
  TensorList contiguous_inputs;
  std::vector<kernels::CatInput> inputs;
  {
    NoGradGuard no_grad;
    for (size_t k = 0; k < tensors.size(); ++k) {
      contiguous_inputs.push_back(tensors[k].contiguous());
      inputs.push_back({contiguous_inputs.back().raw_data(), sizes[k] * inner * elem_size});
    }
  }
  switch (out.device().type) {
    case DeviceType::CPU:
      cpu::cat_rows(out, rows, inputs);
      break;
    case DeviceType::CUDA:
      cuda::cat_rows(out, rows, inputs);
      break;
  }

  if (is_floating(first.dtype())) {
    record_op(op, tensors, {out}, [dim, sizes](const BackwardContext& ctx) {
      TensorList grads;
      int64_t start = 0;
      for (size_t k = 0; k < sizes.size(); ++k) {
        grads.push_back(ctx.needs_grad(k) ? ctx.grad().narrow(dim, start, sizes[k]) : Tensor());
        start += sizes[k];
      }
      return grads;
    });
  }
  return out;
}

// `x` padded by `pads` (F.pad order) with `value`, into a fresh tensor. Records nothing.
Tensor pad_raw(const Tensor& x, const std::vector<int64_t>& pads, const Shape& out_shape,
               double value) {
  NoGradGuard no_grad;
  Tensor out = full(out_shape, value, {.dtype = x.dtype(), .device = x.device()});
  Tensor dst = out, src = x;
  for (size_t pair = 0; pair < pads.size() / 2; ++pair) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(pair);
    const int64_t left = pads[2 * pair], right = pads[2 * pair + 1];
    const int64_t kept = x.size(d) - std::max<int64_t>(0, -left) - std::max<int64_t>(0, -right);
    if (kept <= 0) return out;  // everything of x along d is cropped away
    dst = dst.narrow(d, std::max<int64_t>(0, left), kept);
    src = src.narrow(d, std::max<int64_t>(0, -left), kept);
  }
  dst.copy_(src);
  return out;
}

// x rolled by shifts[i] along dims[i] (distinct, normalised), into a fresh tensor. Each
// rolled dim splits into two blocks that swap places, so the result is 2^k block copies.
Tensor roll_raw(const Tensor& x, const std::vector<int64_t>& shifts,
                const std::vector<int64_t>& dims) {
  NoGradGuard no_grad;
  Tensor out = make_tensor(x.shape(), x.dtype(), x.device());
  if (x.numel() == 0) return out;
  const size_t k = dims.size();
  for (uint64_t blocks = 0; blocks < (uint64_t{1} << k); ++blocks) {
    Tensor dst = out, src = x;
    bool empty = false;
    for (size_t i = 0; i < k && !empty; ++i) {
      const int64_t d = dims[i], n = x.size(d);
      const int64_t s = ((shifts[i] % n) + n) % n;
      if ((blocks >> i) & 1) {  // the tail [n - s, n) wraps to the front
        dst = dst.narrow(d, 0, s);
        src = src.narrow(d, n - s, s);
        empty = s == 0;
      } else {  // the head [0, n - s) moves back by s
        dst = dst.narrow(d, s, n - s);
        src = src.narrow(d, 0, n - s);
      }
    }
    if (!empty) dst.copy_(src);
  }
  return out;
}

// The index as contiguous i64 on its device, every entry checked to lie in [0, size):
// on the CPU at once, on CUDA by a kernel that reports at the next synchronisation (no
// download of the index).
Tensor checked_index(const Tensor& index, int64_t size, int64_t dim, const Tensor& x,
                     const char* op, const char* what) {
  FOVEA_CHECK(index.dtype() == DType::i64 || index.dtype() == DType::i32,
              "{}: index must be an i64 or i32 tensor, got {} of shape {}", op,
              dtype_name(index.dtype()), shape_str(index.shape()));
  NoGradGuard no_grad;
  Tensor idx = index.to(DType::i64).contiguous();
  switch (idx.device().type) {
    case DeviceType::CPU:
      cpu::check_index_range(idx, size, op, dim, what, x.shape());
      break;
    case DeviceType::CUDA:
      cuda::check_index_range(idx, size, op, dim, what, x.shape());
      break;
  }
  return idx;
}

Tensor index_select_impl(const Tensor& x, int64_t dim_in, const Tensor& index, const char* op,
                         const char* what) {
  const Device device = common_device(op, {&x, &index});
  FOVEA_CHECK(x.dim() >= 1, "{}: {} must have at least one dim, got a 0-dim tensor", op, what);
  FOVEA_CHECK(index.dim() <= 1, "{}: index must be 1-D, got shape {}", op,
              shape_str(index.shape()));
  const int64_t dim = normalize_dim(dim_in, x.dim(), op);
  const Tensor idx = checked_index(index, x.size(dim), dim, x, op, what);
  kernels::IndexSelectShape geometry{.src_size = x.size(dim), .index_len = idx.numel()};
  for (int64_t d = 0; d < dim; ++d) geometry.outer *= x.size(d);
  for (int64_t d = dim + 1; d < x.dim(); ++d) geometry.inner *= x.size(d);
  Shape out_shape = x.shape();
  out_shape[dim] = idx.numel();
  Tensor out = make_tensor(out_shape, x.dtype(), x.device());
  {
    NoGradGuard no_grad;
    const Tensor src = x.contiguous();
    switch (device.type) {
      case DeviceType::CPU:
        cpu::index_select(src, idx, out, geometry);
        break;
      case DeviceType::CUDA:
        cuda::index_select(src, idx, out, geometry);
        break;
    }
  }
  if (is_floating(x.dtype())) {
    record_op(op, {x}, {out},
              [geometry, idx, op, shape = x.shape(),
               dtype = x.dtype()](const BackwardContext& ctx) -> TensorList {
                switch (ctx.grad().device().type) {
                  case DeviceType::CPU:
                    return {cpu::index_add(ctx.grad(), idx, shape, dtype, geometry)};
                  case DeviceType::CUDA:
                    return {cuda::index_add(ctx.grad(), idx, shape, dtype, geometry)};
                }
                fail("{} backward: unknown device {}", op, ctx.grad().device().str());
              });
  }
  return out;
}

}  // namespace

Tensor cat(const TensorList& tensors, int64_t dim) {
  const profile::OpScope scope("cat", tensors);
  return cat_impl(tensors, dim, "cat");
}

Tensor stack(const TensorList& tensors, int64_t dim_in) {
  const profile::OpScope scope("stack", tensors);
  FOVEA_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  for (size_t k = 0; k < tensors.size(); ++k) {
    FOVEA_CHECK(tensors[k].defined(), "stack: tensor {} is undefined", k);
    FOVEA_CHECK(tensors[k].shape() == tensors[0].shape(),
                "stack: tensor {} has shape {} but tensor 0 has {}; all must have the same shape",
                k, shape_str(tensors[k].shape()), shape_str(tensors[0].shape()));
  }
  const int64_t dim = normalize_dim(dim_in, tensors[0].dim() + 1, "stack");
  TensorList unsqueezed;
  for (const Tensor& t : tensors) unsqueezed.push_back(t.unsqueeze(dim));
  return cat_impl(unsqueezed, dim, "stack");
}

TensorList split(const Tensor& x, int64_t split_size, int64_t dim_in) {
  FOVEA_CHECK(x.dim() >= 1, "split: cannot split a 0-dim tensor");
  const int64_t dim = normalize_dim(dim_in, x.dim(), "split");
  const int64_t size = x.size(dim);
  FOVEA_CHECK(split_size > 0 || (split_size == 0 && size == 0),
              "split: split_size must be positive, got {} for dim {} of size {}", split_size, dim,
              size);
  // An empty dim still gives one (empty) piece, as in PyTorch.
  const int64_t pieces =
      split_size == 0 ? 1 : std::max<int64_t>((size + split_size - 1) / split_size, 1);
  TensorList out;
  for (int64_t i = 0; i < pieces; ++i) {
    const int64_t start = i * split_size;
    out.push_back(x.narrow(dim, start, std::min(split_size, size - start)));
  }
  return out;
}

TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim_in) {
  FOVEA_CHECK(x.dim() >= 1, "split: cannot split a 0-dim tensor");
  const int64_t dim = normalize_dim(dim_in, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    FOVEA_CHECK(s >= 0, "split: sizes [{}] contain a negative size", fmt::join(sizes, ", "));
    total += s;
  }
  FOVEA_CHECK(total == x.size(dim), "split: sizes [{}] sum to {} but dim {} has size {} (shape {})",
              fmt::join(sizes, ", "), total, dim, x.size(dim), shape_str(x.shape()));
  TensorList out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(x.narrow(dim, start, s));
    start += s;
  }
  return out;
}

TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim_in) {
  FOVEA_CHECK(chunks > 0, "chunk: chunks must be positive, got {}", chunks);
  FOVEA_CHECK(x.dim() >= 1, "chunk: cannot chunk a 0-dim tensor");
  const int64_t dim = normalize_dim(dim_in, x.dim(), "chunk");
  const int64_t size = x.size(dim);
  // An empty dim gives `chunks` empty pieces, as in PyTorch.
  if (size == 0) return split(x, std::vector<int64_t>(chunks, 0), dim);
  return split(x, (size + chunks - 1) / chunks, dim);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  const profile::OpScope scope("pad", x);
  FOVEA_CHECK(pads.size() % 2 == 0,
              "pad: pads must come in (left, right) pairs, got {} values [{}]", pads.size(),
              fmt::join(pads, ", "));
  FOVEA_CHECK(static_cast<int64_t>(pads.size() / 2) <= x.dim(),
              "pad: [{}] pads {} dims but the input of shape {} has {}", fmt::join(pads, ", "),
              pads.size() / 2, shape_str(x.shape()), x.dim());
  // On CUDA this is fill_ and strided copy_ (kernels/cuda/copy.cu).
  common_device("pad", {&x});
  Shape out_shape = x.shape();
  for (size_t pair = 0; pair < pads.size() / 2; ++pair) {
    const int64_t d = x.dim() - 1 - static_cast<int64_t>(pair);
    out_shape[d] += pads[2 * pair] + pads[2 * pair + 1];
    FOVEA_CHECK(out_shape[d] >= 0,
                "pad: padding ({}, {}) of dim {} (size {}) of shape {} leaves a negative size {}",
                pads[2 * pair], pads[2 * pair + 1], d, x.size(d), shape_str(x.shape()),
                out_shape[d]);
  }
  Tensor out = pad_raw(x, pads, out_shape, value);
  if (is_floating(x.dtype())) {
    // The adjoint of padding by `pads` is padding by -pads with zeros: it crops what was
    // padded and restores (as zeros) what was cropped.
    std::vector<int64_t> negated;
    for (int64_t p : pads) negated.push_back(-p);
    record_op("pad", {x}, {out}, [negated, shape = x.shape()](const BackwardContext& ctx) {
      return TensorList{pad_raw(ctx.grad(), negated, shape, 0.0)};
    });
  }
  return out;
}

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  const profile::OpScope scope("roll", x);
  if (dims.empty()) {
    FOVEA_CHECK(shifts.size() == 1, "roll: without dims, expected one shift, got [{}]",
                fmt::join(shifts, ", "));
    FOVEA_CHECK(x.dim() >= 1, "roll: cannot roll a 0-dim tensor");
    return roll(x.flatten(), shifts, {0}).view(x.shape());
  }
  FOVEA_CHECK(shifts.size() == dims.size(), "roll: {} shifts [{}] given for {} dims [{}]",
              shifts.size(), fmt::join(shifts, ", "), dims.size(), fmt::join(dims, ", "));
  // On CUDA this is fill_ and strided copy_ (kernels/cuda/copy.cu).
  common_device("roll", {&x});
  // A dim named twice rolls by the sum of its shifts.
  std::map<int64_t, int64_t> total_shift;
  for (size_t i = 0; i < dims.size(); ++i)
    total_shift[normalize_dim(dims[i], x.dim(), "roll")] += shifts[i];
  std::vector<int64_t> rolled_dims, forward, backward;
  for (const auto& [d, s] : total_shift) {
    rolled_dims.push_back(d);
    forward.push_back(s);
    backward.push_back(-s);
  }
  Tensor out = roll_raw(x, forward, rolled_dims);
  if (is_floating(x.dtype())) {
    record_op("roll", {x}, {out}, [backward, rolled_dims](const BackwardContext& ctx) {
      return TensorList{roll_raw(ctx.grad(), backward, rolled_dims)};
    });
  }
  return out;
}

Tensor gather(const Tensor& x, int64_t dim_in, const Tensor& index) {
  const profile::OpScope scope("gather", x, index);
  const Device device = common_device("gather", {&x, &index});
  FOVEA_CHECK(index.dim() == x.dim(),
              "gather: index of shape {} and input of shape {} must have the same number of dims",
              shape_str(index.shape()), shape_str(x.shape()));
  FOVEA_CHECK(x.dim() <= kernels::kMaxDims, "gather: at most {} dims are supported, got shape {}",
              kernels::kMaxDims, shape_str(x.shape()));
  // A 0-dim gather is the 1-element case.
  const Shape x_shape = x.dim() == 0 ? Shape{1} : x.shape();
  const Shape index_shape = x.dim() == 0 ? Shape{1} : index.shape();
  const int64_t dim = normalize_dim(dim_in, static_cast<int64_t>(x_shape.size()), "gather");
  kernels::GatherShape geometry{.ndim = static_cast<int>(x_shape.size()),
                                .dim = static_cast<int>(dim)};
  for (size_t d = 0; d < x_shape.size(); ++d) {
    FOVEA_CHECK(static_cast<int64_t>(d) == dim || index_shape[d] <= x_shape[d],
                "gather: index of shape {} is larger than the input of shape {} in dim {} (only "
                "dim {} may be larger)",
                shape_str(index.shape()), shape_str(x.shape()), d, dim);
    geometry.index_shape[d] = index_shape[d];
    geometry.src_shape[d] = x_shape[d];
  }
  const Tensor idx = checked_index(index, x_shape[dim], dim, x, "gather", "input");
  Tensor out = make_tensor(index.shape(), x.dtype(), x.device());
  {
    NoGradGuard no_grad;
    const Tensor src = x.contiguous();
    switch (device.type) {
      case DeviceType::CPU:
        cpu::gather(src, idx, out, geometry);
        break;
      case DeviceType::CUDA:
        cuda::gather(src, idx, out, geometry);
        break;
    }
  }
  if (is_floating(x.dtype())) {
    record_op("gather", {x}, {out},
              [geometry, idx, shape = x.shape(),
               dtype = x.dtype()](const BackwardContext& ctx) -> TensorList {
                const Tensor& g = ctx.grad();
                switch (g.device().type) {
                  case DeviceType::CPU:
                    return {cpu::scatter_add(g, idx, shape, dtype, geometry)};
                  case DeviceType::CUDA:
                    return {cuda::scatter_add(g, idx, shape, dtype, geometry)};
                }
                fail("gather backward: unknown device {}", g.device().str());
              });
  }
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const profile::OpScope scope("index_select", x, index);
  return index_select_impl(x, dim, index, "index_select", "input");
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  const profile::OpScope scope("embedding", weight, indices);
  FOVEA_CHECK(weight.dim() == 2, "embedding: weight must be [num_embeddings, dim], got shape {}",
              shape_str(weight.shape()));
  FOVEA_CHECK(indices.dtype() == DType::i64 || indices.dtype() == DType::i32,
              "embedding: indices must be an i64 or i32 tensor, got {} of shape {}",
              dtype_name(indices.dtype()), shape_str(indices.shape()));
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.size(1));
  return index_select_impl(weight, 0, indices.reshape({-1}), "embedding", "weight").view(out_shape);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  const profile::OpScope scope("one_hot", indices);
  const Device device = common_device("one_hot", {&indices});
  FOVEA_CHECK(indices.dtype() == DType::i64 || indices.dtype() == DType::i32,
              "one_hot: indices must be an i64 or i32 tensor, got {} of shape {}",
              dtype_name(indices.dtype()), shape_str(indices.shape()));
  FOVEA_CHECK(num_classes >= -1, "one_hot: num_classes must be positive or -1, got {}",
              num_classes);
  const Tensor idx = indices.to(DType::i64).contiguous();
  // CUDA indices are checked (and the class count inferred) on a host copy: one small
  // synchronising download. one_hot is not on a training step's path (the losses take
  // class indices), and num_classes = -1 needs the maximum on the host anyway.
  const Tensor host = idx.device().is_cpu() ? idx : idx.cpu();
  const int64_t* data = host.data<int64_t>();
  if (num_classes == -1) {
    FOVEA_CHECK(idx.numel() > 0,
                "one_hot: cannot infer the number of classes from empty indices of shape {}",
                shape_str(indices.shape()));
    num_classes = *std::max_element(data, data + idx.numel()) + 1;
  }
  for (int64_t i = 0; i < idx.numel(); ++i) {
    FOVEA_CHECK(data[i] >= 0 && data[i] < num_classes,
                "one_hot: index {} is out of range for {} classes (indices of shape {})", data[i],
                num_classes, shape_str(indices.shape()));
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(num_classes);
  Tensor out = make_tensor(out_shape, DType::i64, device);
  switch (device.type) {
    case DeviceType::CPU:
      cpu::one_hot(idx, num_classes, out);
      break;
    case DeviceType::CUDA:
      cuda::one_hot(idx, num_classes, out);
      break;
  }
  return out;
}

}  // namespace fovea
