// The CPU kernels give bit-identical results on any number of OpenMP threads: GEMMs split
// only C's rows (kernels/cpu/gemm.cpp) and reductions keep partials fixed by the shape
// (conv2d_internal.h, depthwise_conv2d.cpp, accumulate.h). Each case runs on 1 thread and
// then on 2, 3, 5 and 8, and every output and gradient must match to the bit. The whole-model
// version is tests/train/thread_determinism_train.cpp.
#include <gtest/gtest.h>
#include <omp.h>

#include <fmt/format.h>

#include <array>
#include <functional>
#include <vector>

#include "engine/ops/conv.h"
#include "engine/ops/matmul.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

// run() returns the tensors to compare; it is called once per thread count.
void expect_same_on_any_thread_count(const std::function<std::vector<Tensor>()>& run) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::vector<Tensor> one = run();
  for (int threads : {2, 3, 5, 8}) {
    omp_set_num_threads(threads);
    const std::vector<Tensor> other = run();
    ASSERT_EQ(other.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_TRUE(testing::all_close(other[i], one[i], 0, 0))
          << "result " << i << " differs between 1 and " << threads << " threads";
    }
  }
  omp_set_num_threads(before);
}

Tensor random_tensor(const Shape& shape, uint64_t seed, bool requires_grad = false) {
  Generator generator(seed);
  Tensor t = randn(shape, {}, &generator);
  if (requires_grad) t.requires_grad_(true);
  return t;
}

TEST(ThreadCountUnit, MatmulOfEveryLayout) {
  // Large enough to be cut into row blocks, with row counts that do not divide evenly.
  for (const auto& [m, k, n] : std::vector<std::array<int64_t, 3>>{{517, 300, 129},
                                                                   {64, 2000, 576},
                                                                   {1000, 64, 33},
                                                                   {40, 700, 1000},
                                                                   {259, 129, 515},
                                                                   {97, 1111, 70}}) {
    for (const bool ta : {false, true}) {
      for (const bool tb : {false, true}) {
        SCOPED_TRACE(fmt::format("m {} k {} n {} trans_a {} trans_b {}", m, k, n, ta, tb));
        const Tensor a = ta ? random_tensor({k, m}, 1).transpose(0, 1) : random_tensor({m, k}, 1);
        const Tensor b = tb ? random_tensor({n, k}, 2).transpose(0, 1) : random_tensor({k, n}, 2);
        expect_same_on_any_thread_count([&] { return std::vector<Tensor>{matmul(a, b)}; });
      }
    }
  }
}

TEST(ThreadCountUnit, ConvolutionForwardAndBothGradients) {
  struct Case {
    Shape x, w;
    Conv2dOptions options;
  };
  const std::vector<Case> cases = {
      {{8, 16, 16, 64}, {64, 3, 3, 64}, {.padding = {1, 1}}},                    // shifted rows
      {{5, 16, 16, 32}, {64, 3, 3, 32}, {.stride = {2, 2}, .padding = {1, 1}}},  // im2col
      {{1, 32, 32, 32}, {64, 3, 3, 32}, {.stride = {2, 2}, .padding = {1, 1}}},  // batch 1
      {{6, 8, 8, 128}, {256, 1, 1, 128}, {}},                                    // 1x1 GEMM
      {{4, 32, 32, 3}, {64, 7, 7, 3}, {.stride = {2, 2}, .padding = {3, 3}}},    // a stem
      {{4, 8, 8, 64}, {64, 3, 3, 2}, {.padding = {1, 1}, .groups = 32}},         // grouped
      {{3, 16, 16, 96}, {96, 3, 3, 1}, {.padding = {1, 1}, .groups = 96}},       // depthwise
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("x " + shape_str(c.x) + " w " + shape_str(c.w));
    expect_same_on_any_thread_count([&] {
      const Tensor x = random_tensor(c.x, 3, true);
      const Tensor w = random_tensor(c.w, 4, true);
      const Tensor bias = random_tensor({c.w[0]}, 5, true);
      const Tensor y = conv2d(x, w, bias, c.options);
      y.backward(random_tensor(y.shape(), 6));
      return std::vector<Tensor>{y.detach(), x.grad(), w.grad(), bias.grad()};
    });
  }
}

}  // namespace
}  // namespace fovea
