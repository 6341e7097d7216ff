// conv2d and pooling against PyTorch (tests/reference/ref_conv.py), forward and gradients
// in f32.
#include <gtest/gtest.h>

#include "engine/ops/conv.h"
#include "engine/ops/pool.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class ConvParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("conv"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;
};
Reference* ConvParity::reference_ = nullptr;

// Replays a conv case, with or without the bias the reference recorded.
void check_conv(const Reference& r, const std::string& name, const Conv2dOptions& options,
                double tolerance = 1e-5) {
  const bool has_bias = r.has(name + ".bias");
  std::vector<std::string> inputs = {"x", "weight"};
  if (has_bias) inputs.push_back("bias");
  check_case(
      r, name, inputs,
      [options](const TensorList& in) {
        return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), options);
      },
      tolerance, tolerance);
}

TEST_F(ConvParity, DenseConvs) {
  const Reference& r = *reference_;
  check_conv(r, "stem_7x7_s2", {.stride = {2, 2}, .padding = {3, 3}});
  check_conv(r, "conv_3x3", {.padding = {1, 1}});
  check_conv(r, "conv_3x3_wide", {.padding = {1, 1}});
  check_conv(r, "conv_3x3_s2_batch1", {.stride = {2, 2}, .padding = {1, 1}});
  check_conv(r, "conv_3x3_dilation2", {.padding = {2, 2}, .dilation = {2, 2}});
  check_conv(r, "conv_1x1", {});
  check_conv(r, "downsample_1x1_s2", {.stride = {2, 2}});
  check_conv(r, "grouped_3x3_g4", {.padding = {1, 1}, .groups = 4});
  // Its weight gradient sums 64*64 products per element: PyTorch's own f32 result is up to
  // 2.3e-4 away from the exact (f64) one there, hence the wider tolerance.
  check_conv(r, "conv_3x3_chunked", {.padding = {1, 1}}, 1e-4);
}

TEST_F(ConvParity, DepthwiseConvs) {
  const Reference& r = *reference_;
  for (int64_t k : {3, 5, 7}) {
    for (int64_t stride : {1, 2}) {
      check_conv(r,
                 "depthwise_" + std::to_string(k) + "x" + std::to_string(k) + "_s" +
                     std::to_string(stride),
                 {.stride = {stride, stride}, .padding = {k / 2, k / 2}, .groups = 8});
    }
  }
  check_conv(r, "depthwise_3x3_multiplier2", {.padding = {1, 1}, .groups = 4});
}

TEST_F(ConvParity, Pooling) {
  const Reference& r = *reference_;
  check_case(r, "max_pool_3x3_s2_p1", {"x"}, [](const TensorList& in) {
    return max_pool2d(in[0], {3, 3}, {2, 2}, {1, 1});
  });
  check_case(r, "max_pool_2x2_ceil", {"x"}, [](const TensorList& in) {
    return max_pool2d(in[0], {2, 2}, {2, 2}, {0, 0}, true);
  });
  check_case(r, "avg_pool_ceil_exclude_pad", {"x"}, [](const TensorList& in) {
    return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, true, false);
  });
  check_case(r, "avg_pool_ceil_include_pad", {"x"}, [](const TensorList& in) {
    return avg_pool2d(in[0], {3, 3}, {2, 2}, {1, 1}, true, true);
  });
  check_case(r, "avg_pool_2x2", {"x"}, [](const TensorList& in) {
    return avg_pool2d(in[0], {2, 2});
  });
  check_case(r, "adaptive_1x1", {"x"}, [](const TensorList& in) {
    return adaptive_avg_pool2d(in[0], {1, 1});
  });
  check_case(r, "adaptive_7x7", {"x"}, [](const TensorList& in) {
    return adaptive_avg_pool2d(in[0], {7, 7});
  });
  check_case(r, "adaptive_3x5", {"x"}, [](const TensorList& in) {
    return adaptive_avg_pool2d(in[0], {3, 5});
  });
}

}  // namespace
}  // namespace fovea
