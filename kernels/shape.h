#pragma once
// Kernels of the shape ops: concatenation, index selection (index_select, embedding),
// gather and their scatter-add backwards, one_hot, and 2-D interpolation of NHWC images.
// Pure data movement works on raw bytes of any dtype (`elem_size` bytes per element);
// the backwards that add are templated on float and double. Every index has been
// range-checked by the op before a kernel sees it.
#include <cstdint>
#include <vector>

#include "kernels/loop.h"

namespace fovea::kernels {

// ---- cat ----

// One input of a concatenation, contiguous, seen as [rows, row_bytes].
struct CatInput {
  const void* data = nullptr;
  int64_t row_bytes = 0;
};

// ---- index_select over [outer, size, inner] ----

struct IndexSelectShape {
  int64_t outer = 1;
  int64_t src_size = 0;   // the indexed dim of the source
  int64_t index_len = 0;  // the indexed dim of the result
  int64_t inner = 1;
};

// ---- gather along `dim` ----

// `index` and the result share index_shape; `src` is contiguous with src_shape, which
// matches index_shape in every dim but `dim` (where index_shape may be smaller too).
struct GatherShape {
  int ndim = 1;
  int dim = 0;
  int64_t index_shape[kMaxDims] = {};
  int64_t src_shape[kMaxDims] = {};
};

// ---- 2-D interpolation of NHWC images ----

enum class InterpolateMode { nearest, bilinear, bicubic };

// The geometry of torch.nn.functional.interpolate on [batch, height, width, channels].
// scale_h/scale_w are the user's scale factors, or 0 when the output size was given:
// PyTorch maps destination to source pixels with 1 / scale_factor in the first case and
// in_size / out_size in the second, which differ when the factor is not exact.
struct InterpolateShape {
  int64_t batch = 1, in_h = 1, in_w = 1, out_h = 1, out_w = 1, channels = 1;
  InterpolateMode mode = InterpolateMode::nearest;
  bool align_corners = false;
  double scale_h = 0.0, scale_w = 0.0;
};

// out = interpolate(x); both contiguous NHWC. T: float, double.
// The per-axis taps of interpolate along one axis: output o reads source indices
// index[o * count + k] with weights weight[o * count + k], rounded exactly as the kernels
// below take them (`backward` picks interpolate_backward's rounding). For the CUDA kernels.
struct InterpolateTaps {
  int count = 1;
  std::vector<int64_t> index;
  std::vector<float> weight;
};

}  // namespace fovea::kernels

namespace fovea::kernels::cpu {

// Output row r is the concatenation of every input's row r; `out` is contiguous
// [rows, sum of row_bytes]. Work is split over output bytes, so that one long row (cat
// along dim 0) and many short ones (channel concat of NHWC maps) both use every thread.
void cat_rows(void* out, int64_t rows, const CatInput* inputs, int64_t count);

// out[o, j, i] = src[o, index[j], i]; both contiguous.
void index_select(const void* src, const int64_t* index, void* out, const IndexSelectShape& shape,
                  int64_t elem_size);

// grad_src[o, index[j], i] = sum over j of grad_out[o, j, i], duplicates accumulating in j
// order; grad_src is zeroed first. T: float, double.
template <typename T>
void index_add(const T* grad_out, const int64_t* index, T* grad_src, const IndexSelectShape& shape);

// out[..., j, ...] = src[..., index[..., j, ...], ...]; out and index contiguous.
void gather(const void* src, const int64_t* index, void* out, const GatherShape& shape,
            int64_t elem_size);

// The backward of gather: grad_src[..., index[..., j, ...], ...] += grad_out[..., j, ...];
// grad_src is zeroed first. T: float, double.
template <typename T>
void scatter_add(const T* grad_out, const int64_t* index, T* grad_src, const GatherShape& shape);

// out[k, c] = (indices[k] == c) for out contiguous [count, num_classes].
void one_hot(const int64_t* indices, int64_t count, int64_t num_classes, int64_t* out);
InterpolateTaps interpolate_taps(int64_t in, int64_t out, InterpolateMode mode, bool align_corners,
                                 double scale_factor, bool backward);

template <typename T>
void interpolate(const T* x, T* out, const InterpolateShape& shape);

// grad_x = the adjoint of interpolate applied to grad_out; grad_x is zeroed first.
template <typename T>
void interpolate_backward(const T* grad_out, T* grad_x, const InterpolateShape& shape);

}  // namespace fovea::kernels::cpu
