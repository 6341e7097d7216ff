// scaled_dot_product_attention (cuBLAS + fused softmax) and window_attention (fused per
// window) on CUDA against the CPU reference, forward and every gradient.
#include <gtest/gtest.h>

#include "engine/ops/attention.h"
#include "engine/ops/factory.h"
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

}  // namespace
}  // namespace fovea
