// dropout and drop_path: the RNG reservation and the backward record here, then one device
// switch into engine/ops/cpu/random.cpp or engine/ops/cuda/random.cpp.
//
// The backward multiplies the gradient by the forward's mask. fovea saves the mask's RNG
// state (seed, offset, p: a few bytes) rather than the mask, and regenerates it: every
// decision is a pure function of that state (kernels/random.h), a CUDA kernel pays
// nothing for the ten Philox rounds next to the memory traffic it saves, and the
// backward becomes the same one-pass kernel as the forward, applied to the gradient.
#include "engine/ops/random.h"

#include <cmath>

#include "engine/autograd.h"
#include "engine/ops/cpu/random.h"
#include "engine/ops/cuda/random.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"
#include "kernels/random.h"

namespace fovea {

namespace {

using kernels::RowMask;

// x * mask, with x seen as [rows, numel / rows], in x's dtype. Records nothing.
Tensor apply_mask(const Tensor& x, int64_t rows, const RowMask& mask, const char* op) {
  NoGradGuard no_grad;
  switch (x.device().type) {
    case DeviceType::CPU:
      return cpu::apply_row_mask(x, rows, mask, op);
    case DeviceType::CUDA:
      return cuda::apply_row_mask(x, rows, mask, op);
  }
  fail("{}: unknown device {}", op, x.device().str());
}

void check_probability(double p, const Tensor& x, const char* op) {
  FOVEA_CHECK(p >= 0.0 && p <= 1.0, "{}: p must be in [0, 1], got {} (input of shape {})", op, p,
              shape_str(x.shape()));
  check_floating(x, op, "input");
}

// Draws one decision per row of x seen as [rows, numel / rows] and records the backward.
Tensor row_dropout(const char* op, const Tensor& x, int64_t rows, double p, double scale,
                   Generator* generator) {
  Generator& source = generator ? *generator : default_generator();
  const RngState state = source.reserve(static_cast<uint64_t>(rows));
  const RowMask mask{.seed = state.seed, .offset = state.offset, .p = p, .scale = scale};
  Tensor out = apply_mask(x, rows, mask, op);
  record_op(op, {x}, {out}, [rows, mask, op](const BackwardContext& ctx) {
    return TensorList{apply_mask(ctx.grad(), rows, mask, op)};
  });
  return out;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  const profile::OpScope scope("dropout", x);
  check_probability(p, x, "dropout");
  if (!training || p == 0.0) return x;
  // At p == 1 every element is dropped whatever the scale (a draw is always < 1).
  const double scale = p < 1.0 ? 1.0 / (1.0 - p) : 1.0;
  return row_dropout("dropout", x, x.numel(), p, scale, generator);
}

Tensor drop_path(const Tensor& x, double p, bool training, bool scale_by_keep,
                 Generator* generator) {
  const profile::OpScope scope("drop_path", x);
  check_probability(p, x, "drop_path");
  FOVEA_CHECK(x.dim() >= 1, "drop_path: input must have a batch dim, got a 0-dim tensor");
  if (!training || p == 0.0) return x;
  const double scale = scale_by_keep && p < 1.0 ? 1.0 / (1.0 - p) : 1.0;
  return row_dropout("drop_path", x, x.size(0), p, scale, generator);
}

}  // namespace fovea
