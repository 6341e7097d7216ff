// Tensor geometry, views, conversion, factories, printing and the errors for bad input.
#include <gtest/gtest.h>

#include "engine/host_sync.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

TEST(Tensor, ContiguousStridesAndNumel) {
  Tensor t = zeros({2, 3, 4});
  EXPECT_EQ(t.strides(), (Shape{12, 4, 1}));
  EXPECT_EQ(t.numel(), 24);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_TRUE(t.device().is_cpu());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % kCpuAlignment, 0u);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = arange(0.0, 24.0).reshape({2, 3, 4});
  Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Shape{1, 12, 4}));
  EXPECT_FALSE(p.is_contiguous());
  EXPECT_EQ(p.storage().get(), t.storage().get());

  Tensor s = t.slice(2, 1, 4, 2);  // [:, :, 1::2]
  EXPECT_EQ(s.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(s.storage_offset(), 1);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));

  Tensor n = t.narrow(1, 1, 2);
  EXPECT_EQ(n.to_vector<float>()[0], 4.0f);
  EXPECT_EQ(t.select(0, -1).shape(), (Shape{3, 4}));
  EXPECT_EQ(t.select(0, 1).to_vector<float>()[0], 12.0f);

  Tensor e = ones({3, 1}).expand({2, 3, 5});
  EXPECT_EQ(e.strides(), (Shape{0, 1, 0}));
  EXPECT_EQ(e.unsqueeze(0).shape(), (Shape{1, 2, 3, 5}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze(0).shape(), (Shape{3, 1}));
  EXPECT_EQ(t.flatten(1).shape(), (Shape{2, 12}));
  EXPECT_EQ(t.transpose(0, 2).shape(), (Shape{4, 3, 2}));
}

TEST(Tensor, ViewAndReshape) {
  Tensor t = arange(0.0, 12.0).reshape({3, 4});
  EXPECT_EQ(t.view({2, -1}).shape(), (Shape{2, 6}));
  Tensor tt = t.transpose(0, 1);
  EXPECT_THROW(tt.view({12}), Error);  // would need a copy
  Tensor r = tt.reshape({12});         // copies instead
  EXPECT_EQ(r.to_vector<float>()[1], 4.0f);
  EXPECT_TRUE(r.is_contiguous());
  // Splitting a dim of a transposed tensor is still a view.
  EXPECT_EQ(tt.view({2, 2, 3}).storage().get(), t.storage().get());
}

TEST(Tensor, ContiguousCopiesOnlyWhenNeeded) {
  Tensor t = randn({3, 5});
  EXPECT_TRUE(t.contiguous().is_same(t));
  Tensor c = t.transpose(0, 1).contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_ALL_CLOSE(c, t.transpose(0, 1), 0, 0);
}

TEST(Tensor, DtypeConversion) {
  Tensor t = from_vector<float>({1.5f, -2.7f, 3.999f, 1e6f}, {4});
  EXPECT_EQ(t.to(DType::i32).to_vector<int32_t>(), (std::vector<int32_t>{1, -2, 3, 1000000}));
  Tensor h = from_vector<float>({1.0f, 1.0f + 1.0f / 512}, {2}).to(DType::bf16);
  EXPECT_EQ(h.to_vector<float>(), (std::vector<float>{1.0f, 1.0f}));  // tie rounds to even
  Tensor half = from_vector<float>({65504.0f, 70000.0f}, {2}).to(DType::f16);
  EXPECT_EQ(half.to_vector<float>()[0], 65504.0f);
  EXPECT_TRUE(std::isinf(half.to_vector<float>()[1]));
  EXPECT_EQ(t.to(DType::f64).dtype(), DType::f64);
  EXPECT_EQ(gt(t, 0.0).to(DType::u8).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 1}));
}

TEST(Tensor, Factories) {
  EXPECT_EQ(full({2}, 7.0).to_vector<float>(), (std::vector<float>{7, 7}));
  EXPECT_EQ(arange(4).dtype(), DType::i64);
  EXPECT_EQ(arange(4).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(arange(1.0, 2.0, 0.25).numel(), 4);
  manual_seed(42);
  Tensor a = randn({1000});
  manual_seed(42);
  Tensor b = randn({1000});
  EXPECT_ALL_CLOSE(a, b, 0, 0);
  EXPECT_NEAR(mean(a).item(), 0.0, 0.1);
  EXPECT_NEAR(var(a, {0}).item(), 1.0, 0.1);
  Tensor u = rand({1000});
  EXPECT_GE(max(neg(u)).item(), -1.0);
  EXPECT_GE(u.to_vector<float>()[0], 0.0f);
  Tensor i = randint(3, 7, {100});
  EXPECT_GE(-max(neg(i)).item(), 3);
  EXPECT_LT(max(i).item(), 7);
}

TEST(Tensor, PrintsLikePyTorch) {
  EXPECT_EQ(from_vector<float>({1.5f, 2.25f, 3.0f, -4.125f}, {2, 2}).str(),
            "tensor([[ 1.5000,  2.2500],\n        [ 3.0000, -4.1250]])");
  EXPECT_EQ(arange(0.0, 6.0, 1.0, {.dtype = DType::f64}).reshape({2, 3}).str(),
            "tensor([[0., 1., 2.],\n        [3., 4., 5.]], dtype=torch.float64)");
  EXPECT_EQ(from_vector<float>({1e-5f, 1.0f, 1000.0f}, {3}).str(),
            "tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])");
  EXPECT_EQ(arange(24).reshape({2, 3, 4}).str(),
            "tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],"
            "\n\n        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, "
            "23]]])");
  EXPECT_EQ(scalar_tensor(2.5, DType::f32).str(), "tensor(2.5000)");
  EXPECT_EQ(arange(0.0, 2000.0).str(),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
  EXPECT_EQ(from_vector<float>({1, 2}, {2}).to(DType::bf16).str(),
            "tensor([1., 2.], dtype=torch.bfloat16)");
  EXPECT_EQ(zeros({0, 3}).str(), "tensor([], size=(0, 3))");
  EXPECT_EQ(div(arange(0.0, 30.0), 7.0).str(),
            "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
            "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
            "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
            "        3.8571, 4.0000, 4.1429])");
  EXPECT_EQ(gt(from_vector<float>({1, -1}, {2}), 0.0).str(), "tensor([ True, False])");
}

// Every kind of bad input throws fovea::Error with a message naming the op and shapes.
using testing::error_of;

TEST(Tensor, BadInputThrowsClearErrors) {
  const Tensor a = zeros({2, 3}), b = zeros({4, 3});
  EXPECT_NE(error_of([&] { add(a, b); }).find("add: shapes [2, 3] and [4, 3] cannot be broadcast"),
            std::string::npos);
  EXPECT_NE(error_of([&] { a.size(2); }).find("dim 2 is out of range for a tensor with 2 dims"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              a.permute({0, 0});
            }).find("permute: dim 0 appears twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] { a.view({5}); }).find("view: shape [5] is invalid for a tensor of 6"),
            std::string::npos);
  EXPECT_NE(error_of([&] { a.narrow(1, 2, 2); }).find("narrow: [2, 4) is out of range"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              a.expand({2, 5});
            }).find("expand: dim 1 of size 3 cannot expand"),
            std::string::npos);
  EXPECT_NE(error_of([&] { a.data<double>(); }).find("has dtype f32, expected f64"),
            std::string::npos);
  EXPECT_NE(error_of([&] { a.item(); }).find("item(): tensor of shape [2, 3] has 6 elements"),
            std::string::npos);
  EXPECT_NE(error_of([&] { arange(3).requires_grad_(); }).find("only floating tensors"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Device::parse("gpu"); }).find("unknown device 'gpu'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { where(a, a, a); }).find("where: condition must be bool"),
            std::string::npos);
  EXPECT_NE(error_of([&] { exp(arange(3)); }).find("exp: input must be a floating tensor"),
            std::string::npos);
  EXPECT_NE(error_of([&] { Tensor().shape(); }).find("undefined Tensor"), std::string::npos);
  Tensor leaf = zeros({2}, {.requires_grad = true});
  EXPECT_NE(
      error_of([&] { add_(leaf, 1.0); }).find("in-place change of a tensor that requires grad"),
      std::string::npos);
}

TEST(Tensor, CudaTensorsNeedTheCudaBackend) {
  if (cuda_available()) GTEST_SKIP() << "a GPU is present; the cuda tests cover this";
  EXPECT_THROW(zeros({2}, {.device = Device::cuda()}), Error);
}

// The counter behind RunSummary::max_host_syncs_per_step: reads that would wait for a
// device count once each, even when they go through another read; compute counts nothing.
TEST(Tensor, HostReadsAreCounted) {
  const Tensor x = ones({3});
  const int64_t before = host_sync_count();
  const Tensor y = add(x, x);
  EXPECT_EQ(host_sync_count(), before);
  EXPECT_EQ(y.to_vector<float>().size(), 3u);
  EXPECT_EQ(host_sync_count(), before + 1);
  EXPECT_EQ(sum(y).item(), 6.0);  // item() reads through to_vector(): still one
  EXPECT_EQ(host_sync_count(), before + 2);
}

}  // namespace
}  // namespace fovea
