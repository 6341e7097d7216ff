// window_attention on the CPU: the same values as softmax(scale q k^T + bias + mask) v
// written out with matmul and softmax, gradients by finite differences, and clear errors.
#include <gtest/gtest.h>

#include <vector>

#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/ops/matmul.h"
#include "engine/ops/softmax.h"
#include "engine/ops/window_attention.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

Tensor mask_for(int64_t windows, int64_t tokens) {
  std::vector<double> values(windows * tokens * tokens);
  for (size_t e = 0; e < values.size(); ++e) values[e] = (e % 3 == 1) ? -100.0 : 0.0;
  return from_vector(values, {windows, tokens, tokens});
}

TEST(WindowAttention, EqualsTheWrittenOutMath) {
  const int64_t images = 2, windows = 3, heads = 2, tokens = 5, dim = 4;
  const Tensor q = random_leaf({images * windows, heads, tokens, dim}, 1);
  const Tensor k = random_leaf({images * windows, heads, tokens, dim}, 2);
  const Tensor v = random_leaf({images * windows, heads, tokens, dim}, 3);
  const Tensor bias = random_leaf({heads, tokens, tokens}, 4);
  const Tensor mask = mask_for(windows, tokens);
  const Tensor got = window_attention(q, k, v, bias, mask, 0.7);
  // [images, windows, heads, N, N] scores with the mask broadcast over images and heads.
  const Tensor scores = add(add(mul(matmul(q, k.transpose(-1, -2)), 0.7), bias)
                                .reshape({images, windows, heads, tokens, tokens}),
                            mask.unsqueeze(1));
  const Tensor expected =
      matmul(softmax(scores, -1).reshape({images * windows, heads, tokens, tokens}), v);
  EXPECT_ALL_CLOSE(got, expected, 1e-12, 1e-12);
}

TEST(WindowAttention, Gradcheck) {
  const Tensor mask = mask_for(2, 4);
  EXPECT_TRUE(testing::gradcheck(
      [mask](const TensorList& in) { return window_attention(in[0], in[1], in[2], in[3], mask); },
      {random_leaf({4, 2, 4, 3}, 5), random_leaf({4, 2, 4, 3}, 6), random_leaf({4, 2, 4, 3}, 7),
       random_leaf({2, 4, 4}, 8)}));
}

TEST(WindowAttention, BadShapesThrowClearErrors) {
  const Tensor q = random_leaf({4, 2, 5, 3}, 9);
  try {
    window_attention(q, q, q, random_leaf({3, 5, 5}, 10), Tensor());
    FAIL() << "expected fovea::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("window_attention: bias has shape [3, 5, 5], expected "
                                         "[heads, N, N] = [2, 5, 5]"),
              std::string::npos)
        << e.what();
  }
  try {
    window_attention(q, q, q, Tensor(), mask_for(3, 5));
    FAIL() << "expected fovea::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nW dividing the 4 windows"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fovea
