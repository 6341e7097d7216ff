// scaled_dot_product_attention (cuBLAS + fused softmax) and window_attention (fused per
// window) on CUDA against the CPU reference, forward and every gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/attention.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "engine/ops/window_attention.h"
#include "engine/rng.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

const DType kDTypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor input(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0) {
  return testing::random_leaf(shape, seed, low, high).detach().to(DType::f32);
}

TEST(AttentionCuda, PlainAndBiasedMatchCpu) {
  FOVEA_REQUIRE_GPU();
  struct Case {
    Shape q, k, v;
  };
  // ViT-like (odd token count), cross attention with L != S and Dv != D, batch 1.
  const Case cases[] = {{{2, 3, 17, 16}, {2, 3, 17, 16}, {2, 3, 17, 16}},
                        {{1, 2, 5, 8}, {1, 2, 11, 8}, {1, 2, 11, 12}},
                        {{2, 1, 33, 64}, {2, 1, 33, 64}, {2, 1, 33, 64}}};
  uint64_t seed = 1;
  for (const Case& c : cases) {
    for (DType dtype : kDTypes) {
      const Shape bias_shape{c.q[1], c.q[2], c.k[2]};  // per head, broadcast over batch
      EXPECT_TRUE(cuda_matches_cpu(
          [](const TensorList& in) { return scaled_dot_product_attention(in[0], in[1], in[2]); },
          {input(c.q, seed), input(c.k, seed + 1), input(c.v, seed + 2)}, dtype,
          "sdpa " + shape_str(c.q) + " " + dtype_name(dtype)));
      EXPECT_TRUE(cuda_matches_cpu(
          [](const TensorList& in) {
            AttentionOptions options;
            options.bias = in[3];
            options.scale = 0.3;
            return scaled_dot_product_attention(in[0], in[1], in[2], options);
          },
          {input(c.q, seed + 3), input(c.k, seed + 4), input(c.v, seed + 5),
           input(bias_shape, seed + 6)},
          dtype, "sdpa with bias " + shape_str(c.q) + " " + dtype_name(dtype)));
      seed += 7;
    }
  }
}

TEST(AttentionCuda, MaskWithFullyMaskedRowMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  // Query 0 may attend to nothing (an all-zero row); the rest see a causal pattern.
  std::vector<uint8_t> allowed(6 * 6);
  for (int i = 0; i < 6; ++i) {
    for (int j = 0; j < 6; ++j) allowed[i * 6 + j] = i > 0 && j <= i;
  }
  const Tensor mask = from_blob(allowed.data(), {6, 6}, DType::boolean, {.dtype = DType::boolean});
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          AttentionOptions options;
          options.mask = in[3];
          return scaled_dot_product_attention(in[0], in[1], in[2], options);
        },
        {input({2, 6, 8}, 100), input({2, 6, 8}, 101), input({2, 6, 8}, 102), mask}, dtype,
        std::string("sdpa masked ") + dtype_name(dtype)));
  }
}

TEST(AttentionCuda, DropoutMaskIsTheCpuOne) {
  FOVEA_REQUIRE_GPU();
  // Same seed on both devices: Philox makes the masks identical, so outputs must agree.
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          default_generator().manual_seed(1234);
          AttentionOptions options;
          options.dropout_p = 0.3;
          return scaled_dot_product_attention(in[0], in[1], in[2], options);
        },
        {input({2, 9, 8}, 200), input({2, 9, 8}, 201), input({2, 9, 8}, 202)}, dtype,
        std::string("sdpa dropout ") + dtype_name(dtype)));
  }
}

// Swin's shifted-window mask pattern: 0 inside a region, -100 across regions.
Tensor window_mask(int64_t windows, int64_t tokens) {
  std::vector<float> values(windows * tokens * tokens);
  for (int64_t w = 0; w < windows; ++w) {
    for (int64_t i = 0; i < tokens; ++i) {
      for (int64_t j = 0; j < tokens; ++j) {
        const bool same = w == 0 || (i * (w + 1) / tokens) == (j * (w + 1) / tokens);
        values[(w * tokens + i) * tokens + j] = same ? 0.0f : -100.0f;
      }
    }
  }
  return from_vector(values, {windows, tokens, tokens});
}

TEST(WindowAttentionCuda, SwinWindowsMatchCpu) {
  FOVEA_REQUIRE_GPU();
  struct Case {
    int64_t images, windows, heads, tokens, dim;
    bool masked;
  };
  // 7x7 and 8x8 windows, Swin's head dim 32, an odd head dim, enough windows for many
  // backward chunks, batch 1.
  const Case cases[] = {{2, 4, 3, 49, 32, true},
                        {1, 4, 2, 64, 32, true},
                        {3, 2, 3, 49, 13, false},
                        {16, 8, 3, 49, 32, true},
                        {1, 1, 1, 9, 64, false}};
  uint64_t seed = 300;
  for (const Case& c : cases) {
    const Shape qkv{c.images * c.windows, c.heads, c.tokens, c.dim};
    const Tensor mask = c.masked ? window_mask(c.windows, c.tokens) : Tensor();
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu(
          [mask](const TensorList& in) {
            const Tensor m = mask.defined() ? mask.to(in[0].device()) : Tensor();
            return window_attention(in[0], in[1], in[2], in[3], m);
          },
          {input(qkv, seed), input(qkv, seed + 1), input(qkv, seed + 2),
           input({c.heads, c.tokens, c.tokens}, seed + 3, -2.0, 2.0)},
          dtype, "window_attention " + shape_str(qkv) + " " + dtype_name(dtype)));
      seed += 4;
    }
  }
}

TEST(WindowAttentionCuda, NoBiasAndCustomScale) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return window_attention(in[0], in[1], in[2], Tensor(), Tensor(), 1.0);
        },
        {input({4, 2, 49, 32}, 400), input({4, 2, 49, 32}, 401), input({4, 2, 49, 32}, 402)}, dtype,
        std::string("window_attention no bias ") + dtype_name(dtype)));
  }
}

// ---------------------------------------------------------------- edge cases

// The entries of t as doubles, on the host.
std::vector<double> host_values(const Tensor& t) {
  NoGradGuard no_grad;
  return t.to(Device::cpu()).to(DType::f64).contiguous().to_vector<double>();
}

// Row `row` of every [rows_per_block, len] block of t is all NaN; every other entry finite.
void expect_only_row_nan(const Tensor& t, int64_t len, int64_t row, int64_t rows_per_block,
                         const std::string& what) {
  const std::vector<double> v = host_values(t);
  for (size_t e = 0; e < v.size(); ++e) {
    const int64_t r = static_cast<int64_t>(e) / len;
    if (r % rows_per_block == row) {
      EXPECT_TRUE(std::isnan(v[e])) << what << ": entry " << e << " = " << v[e];
    } else {
      EXPECT_TRUE(std::isfinite(v[e])) << what << ": entry " << e << " = " << v[e];
    }
  }
}

TEST(AttentionCuda, AnAllNanRowGivesNanAsSoftmaxDoes) {
  FOVEA_REQUIRE_GPU();
  // The row max must let NaN through (nan_max), not drop it as fmaxf does: an all-NaN row
  // would otherwise pass for an all-masked one and give a silent zero.
  std::vector<float> bias(3 * 40, 0.0f);
  for (int j = 0; j < 40; ++j) bias[1 * 40 + j] = std::numeric_limits<float>::quiet_NaN();
  for (DType dtype : kDTypes) {
    const Device gpu = Device::cuda(0);
    const Tensor q = input({2, 3, 8}, 500).to(dtype).to(gpu);
    const Tensor k = input({2, 40, 8}, 501).to(dtype).to(gpu);
    const Tensor v = input({2, 40, 4}, 502).to(dtype).to(gpu);
    Tensor probabilities;
    AttentionOptions options;
    options.bias = from_vector(bias, {3, 40}).to(dtype).to(gpu);
    options.probabilities = &probabilities;
    const Tensor y = scaled_dot_product_attention(q, k, v, options);
    expect_only_row_nan(probabilities, 40, 1, 3, std::string("probs ") + dtype_name(dtype));
    expect_only_row_nan(y, 4, 1, 3, std::string("out ") + dtype_name(dtype));
  }
}

TEST(AttentionCuda, NoKeysGiveZeroOutputAndZeroGradients) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    const Device gpu = Device::cuda(0);
    const Tensor q = input({2, 3, 8}, 510).to(dtype).to(gpu).requires_grad_();
    const Tensor k = input({2, 0, 8}, 511).to(dtype).to(gpu).requires_grad_();
    const Tensor v = input({2, 0, 4}, 512).to(dtype).to(gpu).requires_grad_();
    const Tensor y = scaled_dot_product_attention(q, k, v);
    ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
    for (double value : host_values(y)) EXPECT_EQ(value, 0.0) << dtype_name(dtype);
    sum(y.to(DType::f32)).backward();
    ASSERT_TRUE(q.grad().defined());
    for (double value : host_values(q.grad())) EXPECT_EQ(value, 0.0) << dtype_name(dtype);
    EXPECT_EQ(k.grad().shape(), (Shape{2, 0, 8}));
    EXPECT_EQ(v.grad().shape(), (Shape{2, 0, 4}));
  }
}

TEST(AttentionCuda, ManyLeadingDimsBroadcastTheBiasAsOnTheCpu) {
  FOVEA_REQUIRE_GPU();
  // The layout's closed-form offsets over lead dims [2, 3, 2] with a size-1 dim.
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          AttentionOptions options;
          options.bias = in[3];
          return scaled_dot_product_attention(in[0], in[1], in[2], options);
        },
        {input({2, 3, 2, 5, 8}, 520), input({2, 3, 2, 7, 8}, 521), input({2, 3, 2, 7, 4}, 522),
         input({2, 1, 2, 5, 7}, 523)},
        dtype, std::string("sdpa lead dims ") + dtype_name(dtype)));
  }
}

TEST(WindowAttentionCuda, ANanRowGivesNan) {
  FOVEA_REQUIRE_GPU();
  std::vector<float> bias(2 * 49 * 49, 0.0f);
  for (int j = 0; j < 49; ++j) bias[5 * 49 + j] = std::numeric_limits<float>::quiet_NaN();
  for (DType dtype : kDTypes) {
    const Device gpu = Device::cuda(0);
    const Tensor q = input({4, 2, 49, 32}, 530).to(dtype).to(gpu);
    Tensor probabilities;
    const Tensor y = window_attention(q, q, q, from_vector(bias, {2, 49, 49}).to(dtype).to(gpu),
                                      Tensor(), std::nullopt, &probabilities);
    // Row 5 of head 0 in every window: rows of [window, head] blocks of 49, head 0 only.
    const std::vector<double> p = host_values(probabilities);
    for (size_t e = 0; e < p.size(); ++e) {
      const int64_t row = static_cast<int64_t>(e) / 49;
      const bool nan_row = row % 49 == 5 && (row / 49) % 2 == 0;
      EXPECT_EQ(std::isnan(p[e]), nan_row) << dtype_name(dtype) << " entry " << e;
    }
    EXPECT_TRUE(std::isnan(host_values(y)[5 * 32])) << dtype_name(dtype);
  }
}

}  // namespace
}  // namespace fovea
