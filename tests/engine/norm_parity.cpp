// Batch norm, layer norm and group norm against PyTorch (tests/reference/ref_norm.py):
// outputs, gradients for x, weight and bias, and the running stats after one
// training-mode batch_norm call. Inputs are NHWC, as fovea holds them.
#include <gtest/gtest.h>

#include "engine/ops/norm.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class NormParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("norm"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;
};
Reference* NormParity::reference_ = nullptr;

// Replays a batch_norm case with copies of its running stats (when it has them) and
// compares the updated stats with PyTorch's.
void check_batch_norm(const Reference& r, const std::string& name, bool affine, bool training,
                      double momentum = 0.1) {
  SCOPED_TRACE("batch_norm case " + name);
  const bool tracked = r.has(name + ".running_mean");
  Tensor running_mean = tracked ? r[name + ".running_mean"].clone() : Tensor();
  Tensor running_var = tracked ? r[name + ".running_var"].clone() : Tensor();
  const std::vector<std::string> inputs =
      affine ? std::vector<std::string>{"x", "weight", "bias"} : std::vector<std::string>{"x"};
  check_case(r, name, inputs, [&](const TensorList& in) {
    return batch_norm(in[0], affine ? in[1] : Tensor(), affine ? in[2] : Tensor(), running_mean,
                      running_var, training, momentum);
  });
  if (tracked) {
    EXPECT_ALL_CLOSE(running_mean, r[name + ".new_running_mean"], 1e-6, 1e-5);
    EXPECT_ALL_CLOSE(running_var, r[name + ".new_running_var"], 1e-6, 1e-5);
  }
}

TEST_F(NormParity, BatchNorm) {
  const Reference& r = *reference_;
  check_batch_norm(r, "bn_train", true, true);
  check_batch_norm(r, "bn_train_momentum", true, true, 0.3);
  check_batch_norm(r, "bn_eval", true, false);
  check_batch_norm(r, "bn_noaffine", false, true);
  check_batch_norm(r, "bn_untracked", true, true);
}

TEST_F(NormParity, BatchNormLargeReduction) {
  check_batch_norm(*reference_, "bn_large", true, true);  // 2048 values per channel
}

TEST_F(NormParity, LayerNorm) {
  const Reference& r = *reference_;
  auto affine = [](Shape normalized_shape) {
    return [normalized_shape](const TensorList& in) {
      return layer_norm(in[0], normalized_shape, in[1], in[2]);
    };
  };
  check_case(r, "ln_channels", {"x", "weight", "bias"}, affine({7}));
  check_case(r, "ln_last2", {"x", "weight", "bias"}, affine({4, 6}));
  check_case(r, "ln_batch1", {"x", "weight", "bias"}, affine({5}));
  check_case(r, "ln_noaffine", {"x"}, [](const TensorList& in) { return layer_norm(in[0], {9}); });
}

TEST_F(NormParity, LayerNormLargeReduction) {
  const Reference& r = *reference_;
  check_case(r, "ln_large", {"x", "weight", "bias"},
             [](const TensorList& in) { return layer_norm(in[0], {32}, in[1], in[2]); });
  check_case(r, "ln_large_rows", {"x"}, [](const TensorList& in) {
    return layer_norm(in[0], {64, 96});
  });
}

TEST_F(NormParity, GroupNorm) {
  const Reference& r = *reference_;
  auto affine = [](int64_t groups) {
    return [groups](const TensorList& in) { return group_norm(in[0], groups, in[1], in[2]); };
  };
  check_case(r, "gn_2groups", {"x", "weight", "bias"}, affine(2));
  check_case(r, "gn_3groups", {"x", "weight", "bias"}, affine(3));
  check_case(r, "gn_odd", {"x", "weight", "bias"}, affine(7));
  check_case(r, "gn_batch1", {"x", "weight", "bias"}, affine(4));
  check_case(r, "gn_nc", {"x", "weight", "bias"}, affine(3));
  check_case(r, "gn_nlc", {"x", "weight", "bias"}, affine(2));
  check_case(r, "gn_noaffine", {"x"}, [](const TensorList& in) { return group_norm(in[0], 3); });
}

TEST_F(NormParity, GroupNormLargeReduction) {
  check_case(*reference_, "gn_large", {"x", "weight", "bias"},
             [](const TensorList& in) { return group_norm(in[0], 8, in[1], in[2]); });
}

}  // namespace
}  // namespace fovea
