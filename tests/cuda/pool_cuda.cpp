// CUDA pooling, interpolation and the copying shape ops (pad, roll) against the CPU, in
// f32, bf16 and f16, forward and backward, with odd channel counts and spatial sizes that
// make ceil_mode and padding matter.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

TEST(CudaPool, MaxPool) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({2, 13, 11, 13}, 1);
  const Tensor wide = uniform_input({1, 9, 9, 97}, 2);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return max_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, false);
        },
        {x}, dtype, "max_pool2d 3x3/2 pad 1"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return max_pool2d(in[0], {3, 2}, {2, 3}, {0, 1}, true);
        },
        {x}, dtype, "max_pool2d ceil_mode"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return max_pool2d(in[0], {2, 2}, {2, 2}, {0, 0}, false);
        },
        {wide}, dtype, "max_pool2d 2x2, 97 channels"));
  }
}

TEST(CudaPool, AvgPoolAndAdaptive) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({2, 13, 11, 3}, 3);
  const Tensor features = uniform_input({3, 7, 7, 97}, 4);
  for (DType dtype : kCudaDtypes) {
    for (bool ceil_mode : {false, true}) {
      for (bool include_pad : {false, true}) {
        EXPECT_TRUE(cuda_matches_cpu(
            [&](const TensorList& in) {
              return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, ceil_mode, include_pad);
            },
            {x}, dtype, "avg_pool2d"));
      }
    }
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return adaptive_avg_pool2d(in[0], {1, 1});
        },
        {features}, dtype, "adaptive_avg_pool2d to 1x1"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return adaptive_avg_pool2d(in[0], {3, 5});
        },
        {features}, dtype, "adaptive_avg_pool2d to 3x5 (overlapping windows)"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return avg_pool2d(in[0].permute({0, 2, 1, 3}), {2, 2}, {1, 1}, {0, 0}, false, true);
        },
        {x}, dtype, "avg_pool2d of a non-contiguous input"));
  }
}

TEST(CudaInterpolate, EveryMode) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({2, 7, 5, 13}, 5);
  for (DType dtype : kCudaDtypes) {
    for (const char* mode : {"nearest", "bilinear", "bicubic"}) {
      for (bool align : {false, true}) {
        if (std::string(mode) == "nearest" && align) continue;
        InterpolateOptions up{
            .size = std::array<int64_t, 2>{14, 11}, .mode = mode, .align_corners = align};
        InterpolateOptions down{
            .size = std::array<int64_t, 2>{3, 4}, .mode = mode, .align_corners = align};
        EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return interpolate(in[0], up); },
                                     {x}, dtype, std::string("interpolate up, ") + mode));
        EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return interpolate(in[0], down); },
                                     {x}, dtype, std::string("interpolate down, ") + mode));
      }
    }
    InterpolateOptions twice{.scale_factor = std::array<double, 2>{2.0, 2.0}, .mode = "bilinear"};
    EXPECT_TRUE(cuda_matches_cpu([&](const TensorList& in) { return interpolate(in[0], twice); },
                                 {x}, dtype, "interpolate x2 bilinear"));
  }
}

TEST(CudaPool, ClosedFormWindowsOverManyGeometries) {
  FOVEA_REQUIRE_GPU();
  // The kernels compute every window (and, backward, the outputs covering each input) on
  // the device from kernel, stride and padding: they must give the CPU's PoolWindows for
  // every geometry PyTorch allows, ceil_mode's dropped last window included.
  const Tensor x = uniform_input({1, 7, 6, 3}, 6);
  for (int64_t kernel = 1; kernel <= 4; ++kernel) {
    for (int64_t stride = 1; stride <= 3; ++stride) {
      for (int64_t pad = 0; pad <= kernel / 2; ++pad) {
        for (bool ceil_mode : {false, true}) {
          const std::string what =
              fmt::format("k{} s{} p{}{}", kernel, stride, pad, ceil_mode ? " ceil" : "");
          EXPECT_TRUE(cuda_matches_cpu(
              [&](const TensorList& in) {
                return max_pool2d(in[0], {kernel, kernel + 1 > 4 ? kernel : kernel + 1},
                                  {stride, stride}, {pad, pad}, ceil_mode);
              },
              {x}, DType::f32, fmt::format("max_pool2d {}", what)));
          for (bool include_pad : {false, true}) {
            EXPECT_TRUE(cuda_matches_cpu(
                [&](const TensorList& in) {
                  return avg_pool2d(in[0], {kernel, kernel}, {stride, stride}, {pad, pad},
                                    ceil_mode, include_pad);
                },
                {x}, DType::f32,
                fmt::format("avg_pool2d {}{}", what, include_pad ? " include_pad" : "")));
          }
        }
      }
    }
  }
  // Adaptive windows that overlap, repeat (more outputs than inputs) and shrink.
  for (std::array<int64_t, 2> out : {std::array<int64_t, 2>{9, 13}, {7, 6}, {2, 4}, {1, 1}}) {
    EXPECT_TRUE(
        cuda_matches_cpu([&](const TensorList& in) { return adaptive_avg_pool2d(in[0], out); }, {x},
                         DType::f32, fmt::format("adaptive_avg_pool2d to {}x{}", out[0], out[1])));
  }
}

TEST(CudaInterpolate, CachedTapsFollowTheShape) {
  FOVEA_REQUIRE_GPU();
  // The taps are uploaded once per shape and device (engine/ops/cuda/table_cache.h). A
  // scale factor of 1.7 and an explicit size give the same output size but different
  // source positions, so they must not share a cache entry; alternate them twice.
  const Tensor x = uniform_input({1, 7, 5, 4}, 7);
  InterpolateOptions by_size{.size = std::array<int64_t, 2>{11, 8}, .mode = "bilinear"};
  InterpolateOptions by_factor{.scale_factor = std::array<double, 2>{1.7, 1.7}, .mode = "bilinear"};
  for (int round = 0; round < 2; ++round) {
    for (const InterpolateOptions* options : {&by_size, &by_factor}) {
      EXPECT_TRUE(cuda_matches_cpu(
          [&](const TensorList& in) { return interpolate(in[0], *options); }, {x}, DType::f32,
          std::string("interpolate ") + (options == &by_size ? "by size" : "by factor")));
    }
  }
}

TEST(CudaShape, PadAndRoll) {
  FOVEA_REQUIRE_GPU();
  const Tensor x = uniform_input({2, 7, 5, 13}, 6);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return pad(in[0], {0, 0, 1, 2, 3, 0}, 0.5);
        },
        {x}, dtype, "pad"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return pad(in[0], {0, 0, -1, 2});
        },
        {x}, dtype, "pad with a crop"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return roll(in[0], {3, -2}, {1, 2});
        },
        {x}, dtype, "roll (Swin's cyclic shift)"));
  }
}

TEST(CudaShape, CatAndStack) {
  FOVEA_REQUIRE_GPU();
  const Tensor a = uniform_input({2, 7, 5, 13}, 7), b = uniform_input({2, 7, 5, 3}, 8);
  const Tensor c = uniform_input({2, 7, 5, 13}, 9);
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return cat({in[0], in[1]}, 3);
        },
        {a, b}, dtype, "cat along channels"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return cat({in[0], in[1].transpose(1, 2).contiguous().transpose(1, 2)}, 0);
        },
        {a, c}, dtype, "cat along batch"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return stack({in[0], in[1]}, 2);
        },
        {a, c}, dtype, "stack"));
  }
}

TEST(CudaShape, IndexSelectEmbeddingGather) {
  FOVEA_REQUIRE_GPU();
  const Tensor table = uniform_input({169, 3}, 10);
  const Tensor x = uniform_input({4, 13, 6}, 11);
  // Repeated indices, so the backward adds several gradients into one row.
  const Tensor rows = from_blob(std::vector<int64_t>{5, 0, 168, 5, 5, 42, 0}.data(), {7},
                                DType::i64, {.dtype = DType::i64});
  const Tensor columns = from_blob(std::vector<int64_t>{12, 0, 5, 5, 3}.data(), {5}, DType::i64,
                                   {.dtype = DType::i64});
  std::vector<int64_t> gather_data;
  for (int64_t i = 0; i < 4 * 9 * 6; ++i) gather_data.push_back((i * 7 + i / 5) % 13);
  const Tensor gather_index =
      from_blob(gather_data.data(), {4, 9, 6}, DType::i64, {.dtype = DType::i64});
  for (DType dtype : kCudaDtypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return index_select(in[0], 0, in[1]); },
                                 {table, rows}, dtype, "index_select rows"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return index_select(in[0], 1, in[1]); },
                                 {x, columns}, dtype, "index_select middle dim"));
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          return embedding(in[0], in[1].view({7, 1}));
        },
        {table, rows}, dtype, "embedding"));
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return gather(in[0], 1, in[1]); },
                                 {x, gather_index}, dtype, "gather"));
  }
}

}  // namespace
}  // namespace fovea
