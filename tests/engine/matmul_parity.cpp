// matmul, bmm, linear and scaled dot-product attention against PyTorch
// (tests/reference/ref_matmul.py): outputs and the gradients of every input, in f32.
#include <gtest/gtest.h>

#include "engine/ops/attention.h"
#include "engine/ops/matmul.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class MatmulParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("matmul"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;
};
Reference* MatmulParity::reference_ = nullptr;

TEST_F(MatmulParity, Matmul) {
  const Reference& r = *reference_;
  for (const char* name :
       {"matmul_dot", "matmul_vec_mat", "matmul_mat_vec", "matmul_mm", "matmul_broadcast",
        "matmul_shared_weight", "matmul_shared_left", "matmul_batched_vec", "matmul_vec_batched"}) {
    check_case(r, name, {"a", "b"}, [](const TensorList& in) { return matmul(in[0], in[1]); });
  }
  check_case(r, "matmul_transposed", {"a", "b"}, [](const TensorList& in) {
    return matmul(in[0].transpose(0, 1), in[1].transpose(-1, -2));
  });
}

TEST_F(MatmulParity, Bmm) {
  check_case(*reference_, "bmm", {"a", "b"},
             [](const TensorList& in) { return bmm(in[0], in[1]); });
}

TEST_F(MatmulParity, Linear) {
  const Reference& r = *reference_;
  check_case(r, "linear_bias", {"input", "weight", "bias"},
             [](const TensorList& in) { return linear(in[0], in[1], in[2]); });
  check_case(r, "linear_no_bias", {"input", "weight"},
             [](const TensorList& in) { return linear(in[0], in[1]); });
}

TEST_F(MatmulParity, ScaledDotProductAttention) {
  const Reference& r = *reference_;
  check_case(r, "sdpa_plain", {"q", "k", "v"}, [](const TensorList& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2]);
  });
  check_case(r, "sdpa_bias", {"q", "k", "v", "bias"}, [](const TensorList& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], {.bias = in[3]});
  });
  check_case(r, "sdpa_mask", {"q", "k", "v", "bias", "mask"}, [](const TensorList& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], {.bias = in[3], .mask = in[4]});
  });
  check_case(r, "sdpa_cross", {"q", "k", "v"}, [](const TensorList& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], {.scale = 0.3});
  });
}

}  // namespace
}  // namespace fovea
