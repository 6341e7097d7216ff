// dropout and drop_path: mask statistics, exact scaling, determinism from (seed, offset),
// the backward's reuse of the forward's mask, per-sample drop_path, eval mode, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/ops/random.h"
#include "kernels/philox.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

Tensor ramp(const Shape& shape, DType dtype = DType::f32) {
  // Values that are never zero, so that a zero in the output means "dropped".
  return add(arange(0.0, static_cast<double>(shape_numel(shape)), 1.0, {.dtype = dtype}), 1.0)
      .reshape(shape);
}

using testing::error_of;

TEST(Dropout, KeepsAboutOneMinusPAndScalesExactly) {
  const double p = 0.3;
  const Tensor x = ramp({200, 500});
  Generator generator(5);
  const Tensor y = dropout(x, p, true, &generator);
  const std::vector<float> in = x.to_vector<float>(), out = y.to_vector<float>();
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  int64_t kept = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (out[i] == 0.0f) continue;
    ++kept;
    ASSERT_EQ(out[i], in[i] * scale) << "element " << i;
  }
  const double fraction = static_cast<double>(kept) / static_cast<double>(in.size());
  // One standard deviation is sqrt(p (1 - p) / n) = 0.0014.
  EXPECT_NEAR(fraction, 1.0 - p, 0.01);
}

TEST(Dropout, MaskIsTheDocumentedPhiloxFunction) {
  const double p = 0.5;
  const Tensor x = ramp({7, 9});
  Generator generator(77);
  generator.reserve(10);  // start at a non-zero offset
  const RngState state = generator.state();
  const std::vector<float> out = dropout(x, p, true, &generator).to_vector<float>();
  for (size_t i = 0; i < out.size(); ++i) {
    const bool keep =
        kernels::uniform_from_bits(kernels::philox_draw(state.seed, state.offset, i)) >= p;
    EXPECT_EQ(out[i] != 0.0f, keep) << "element " << i;
  }
  // x.numel() = 63 draws were reserved: 16 Philox blocks.
  EXPECT_EQ(generator.state().offset, state.offset + 16);
}

TEST(Dropout, SameSeedSameMaskDifferentOffsetDifferentMask) {
  const Tensor x = ramp({64, 33});
  Generator a(9), b(9);
  const Tensor first = dropout(x, 0.5, true, &a);
  EXPECT_ALL_CLOSE(dropout(x, 0.5, true, &b), first, 0, 0);
  const Tensor second = dropout(x, 0.5, true, &a);  // a's offset has moved on
  EXPECT_FALSE(testing::all_close(second, first, 0, 0));
  // The mask depends on the logical position only, not on the input's strides.
  Generator c(9);
  const Tensor strided = x.transpose(0, 1).contiguous().transpose(0, 1);
  EXPECT_ALL_CLOSE(dropout(strided, 0.5, true, &c), first, 0, 0);
  // The default generator follows manual_seed, and a replayed state replays the mask.
  manual_seed(123);
  const RngState state = default_generator().state();
  const Tensor by_default = dropout(x, 0.5, true);
  {
    RngStateGuard replay(state);
    EXPECT_ALL_CLOSE(dropout(x, 0.5, true), by_default, 0, 0);
  }
}

TEST(Dropout, BackwardUsesTheForwardsMask) {
  const double p = 0.4;
  Tensor x = ramp({30, 20}).requires_grad_();
  Generator generator(3);
  const Tensor y = dropout(x, p, true, &generator);
  dropout(x.detach(), p, true, &generator);  // the generator moves on before backward
  y.backward(ones_like(y));
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  const std::vector<float> out = y.to_vector<float>(), grad = x.grad().to_vector<float>();
  for (size_t i = 0; i < out.size(); ++i) {
    ASSERT_EQ(grad[i], out[i] == 0.0f ? 0.0f : scale) << "element " << i;
  }
}

TEST(Dropout, EvalModeAndZeroPAreTheIdentityAndOneGivesZeros) {
  const Tensor x = ramp({4, 5});
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  EXPECT_TRUE(dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(drop_path(x, 0.5, false).is_same(x));
  EXPECT_TRUE(drop_path(x, 0.0, true).is_same(x));
  Tensor leaf = ramp({4, 5}).requires_grad_();
  const Tensor y = dropout(leaf, 1.0, true);
  EXPECT_ALL_CLOSE(y, zeros({4, 5}), 0, 0);
  y.backward(ones_like(y));
  EXPECT_ALL_CLOSE(leaf.grad(), zeros({4, 5}), 0, 0);
  EXPECT_ALL_CLOSE(drop_path(x, 1.0, true), zeros({4, 5}), 0, 0);
}

TEST(Dropout, SixteenBitInputsKeepTheirDtype) {
  const Tensor x = ramp({8, 8}, DType::bf16);
  Generator a(1), b(1);
  const Tensor y = dropout(x, 0.5, true, &a);
  EXPECT_EQ(y.dtype(), DType::bf16);
  EXPECT_ALL_CLOSE(y.to(DType::f32), dropout(x.to(DType::f32), 0.5, true, &b), 0, 0);
}

TEST(DropPath, DecidesOncePerSample) {
  const double p = 0.5;
  const int64_t samples = 400;
  const Tensor x = ramp({samples, 3, 2, 4});
  Generator generator(11);
  const RngState state = generator.state();
  const Tensor y = drop_path(x, p, true, true, &generator);
  EXPECT_EQ(generator.state().offset, state.offset + samples / 4);  // one draw per sample
  const std::vector<float> in = x.to_vector<float>(), out = y.to_vector<float>();
  const int64_t per_sample = 24;
  int64_t kept = 0;
  for (int64_t s = 0; s < samples; ++s) {
    const bool keep =
        kernels::uniform_from_bits(kernels::philox_draw(state.seed, state.offset, s)) >= p;
    kept += keep;
    for (int64_t j = 0; j < per_sample; ++j) {
      const int64_t i = s * per_sample + j;
      ASSERT_EQ(out[i], keep ? in[i] * 2.0f : 0.0f) << "sample " << s << " element " << j;
    }
  }
  EXPECT_NEAR(static_cast<double>(kept) / samples, 1.0 - p, 0.1);
}

TEST(DropPath, WithoutScaleByKeepKeptSamplesAreUnchanged) {
  const Tensor x = ramp({64, 5});
  Generator generator(12);
  const std::vector<float> in = x.to_vector<float>();
  const std::vector<float> out = drop_path(x, 0.3, true, false, &generator).to_vector<float>();
  int64_t dropped = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_TRUE(out[i] == in[i] || out[i] == 0.0f) << "element " << i;
    dropped += out[i] == 0.0f;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(dropped % 5, 0);
}

TEST(RandomErrors, NameTheOpAndTheProblem) {
  const Tensor x = ramp({2, 3});
  EXPECT_EQ(error_of([&] { dropout(x, 1.5, true); }),
            "dropout: p must be in [0, 1], got 1.5 (input of shape [2, 3])");
  EXPECT_EQ(error_of([&] { drop_path(x, -0.1, true); }),
            "drop_path: p must be in [0, 1], got -0.1 (input of shape [2, 3])");
  EXPECT_EQ(error_of([&] { dropout(x, NAN, true); }),
            "dropout: p must be in [0, 1], got nan (input of shape [2, 3])");
  EXPECT_EQ(error_of([&] { dropout(arange(4), 0.5, true); }),
            "dropout: input must be a floating tensor, got i64 of shape [4]");
  EXPECT_EQ(error_of([&] { drop_path(scalar_tensor(1.0, DType::f32), 0.5, true); }),
            "drop_path: input must have a batch dim, got a 0-dim tensor");
}

}  // namespace
}  // namespace fovea
