#pragma once
// Shape ops: joining and splitting tensors, padding, rolling, indexing by tensors of
// indices, and (engine/ops/interpolate.h) resizing NHWC images. These are what DenseNet's
// concatenation, Swin's shifted windows, relative position bias and patch merging, and
// the resizing of ViT position embeddings are made of. All follow PyTorch's semantics.
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/interpolate.h"
#include "engine/tensor.h"

namespace fovea {

// Joins tensors along an existing dim; all dims but `dim` must match, and so must the
// dtypes (under autocast, floating inputs are first promoted to the widest of them, as
// torch.autocast does for cat). The backward hands each input its slice of the gradient.
Tensor cat(const TensorList& tensors, int64_t dim);
// Joins equally shaped tensors along a new dim.
Tensor stack(const TensorList& tensors, int64_t dim);

// Views of consecutive pieces of `x` along `dim` (torch.split / torch.chunk): pieces of
// split_size with a smaller last one; pieces of the given sizes (which must sum to the
// dim); or `chunks` pieces of ceil(size / chunks), which may be fewer than `chunks`.
TensorList split(const Tensor& x, int64_t split_size, int64_t dim);
TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim);

// Constant padding with torch.nn.functional.pad's ordering: pads = {last_left,
// last_right, second_last_left, ...}, at most two per dim; negative pads crop.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);

// torch.roll: element i of each listed dim moves to (i + shift) mod size. With no dims
// the tensor is rolled as if flattened (one shift).
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims);

// torch.gather: out[i][j][k] = x[index[i][j][k]][j][k] for dim 0, and so on. index (i64
// or i32) has x's number of dims and no dim larger than x's, except along `dim`.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

// torch.index_select: the entries index[0], index[1], ... of `x` along `dim`, for a 1-D
// i64 or i32 index. Repeated indices accumulate their gradients.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);

// Rows of weight [num, D] picked by indices of any shape: the result is [..., D].
Tensor embedding(const Tensor& weight, const Tensor& indices);

// i64 [..., num_classes] with a 1 at each index, as torch.nn.functional.one_hot;
// num_classes = -1 takes max(indices) + 1. No gradient.
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace fovea
