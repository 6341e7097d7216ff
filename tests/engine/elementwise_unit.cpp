// Fused elementwise ops against the ops they fuse: the same bits, forward and backward.
#include <gtest/gtest.h>

#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

TEST(ElementwiseUnit, AddReluIsReluOfAddToTheBit) {
  for (const DType dtype : {DType::f32, DType::bf16}) {
    SCOPED_TRACE(dtype_name(dtype));
    // b broadcasts over a's rows; -a makes some sums exactly zero, where relu cuts.
    Tensor a = random_leaf({6, 5, 8}, 1).to(dtype).detach();
    Tensor b = random_leaf({5, 8}, 2).to(dtype).detach();
    a = cat({a.slice(0, 0, 3), neg(b).unsqueeze(0).expand({3, 5, 8})}, 0).contiguous();
    a.requires_grad_(true);
    b.requires_grad_(true);
    const Tensor gy = random_leaf({6, 5, 8}, 3).to(dtype).detach();

    const Tensor fused = add_relu(a, b);
    fused.backward(gy);
    const Tensor fused_ga = a.grad().clone(), fused_gb = b.grad().clone();
    a.set_grad(Tensor());
    b.set_grad(Tensor());
    const Tensor plain = relu(add(a, b));
    plain.backward(gy);

    EXPECT_TRUE(testing::all_close(fused, plain, 0, 0));
    EXPECT_TRUE(testing::all_close(fused_ga, a.grad(), 0, 0));
    EXPECT_TRUE(testing::all_close(fused_gb, b.grad(), 0, 0));
    // Where the sum is exactly zero, relu passes no gradient (PyTorch's convention).
    EXPECT_EQ(max(abs(fused.slice(0, 3, 6).to(DType::f32))).item(), 0.0);
    EXPECT_EQ(max(abs(a.grad().slice(0, 3, 6).to(DType::f32))).item(), 0.0);
  }
}

}  // namespace
}  // namespace fovea
