// index_select's backward on CUDA (kernels/cuda/index_add.cu, a sorted segmented sum)
// against the CPU: Swin-T's relative position bias shapes, heavy and missing duplicates,
// an index along a middle dim, an empty index; f32 bit for bit (both add duplicates in
// index order), the 16-bit dtypes within tolerance; two runs bit-identical; and no
// host synchronisation in the forward or backward (the index range check runs on the
// device).
#include <gtest/gtest.h>

#include <vector>

#include "engine/host_sync.h"
#include "layers/window_attention.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;
using testing::kCudaDtypes;
using testing::uniform_input;

// The gradient of index_select(table, dim, index) for upstream `grad`, on table's device.
Tensor index_select_grad(const Tensor& table_in, int64_t dim, const Tensor& index,
                         const Tensor& grad) {
  Tensor table = table_in.detach();
  table.requires_grad_(true);
  index_select(table, dim, index).backward(grad);
  return table.grad();
}

struct Case {
  const char* what;
  Shape table_shape;
  int64_t dim;
  std::vector<int64_t> index;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  // Swin-T: a 7x7 window's 2,401 offsets into a [169, heads] table, heads 3..24.
  const std::vector<int64_t> swin = relative_position_index({7, 7}).to_vector<int64_t>();
  for (int64_t heads : {3, 6, 12, 24}) out.push_back({"swin-t", {169, heads}, 0, swin});
  // Heavy duplicates (1,000 indices over 5 rows), rows never indexed (0 and 6 of 7).
  std::vector<int64_t> heavy;
  for (int64_t j = 0; j < 1000; ++j) heavy.push_back(1 + (j * 7 + j / 3) % 5);
  out.push_back({"heavy duplicates", {7, 33}, 0, heavy});
  // One row taken 3,000 times: one long segment.
  out.push_back({"one long segment", {4, 2}, 0, std::vector<int64_t>(3000, 2)});
  // Along a middle dim (outer 3, inner 5), with repeats.
  out.push_back({"middle dim", {3, 11, 5}, 1, {10, 0, 3, 3, 10, 7, 0, 0, 2, 10, 5, 5, 5}});
  // No index at all: the gradient is zero.
  out.push_back({"empty index", {6, 4}, 0, {}});
  return out;
}

Tensor index_tensor(const Case& c) {
  return from_vector(c.index, {static_cast<int64_t>(c.index.size())});
}

Shape grad_shape(const Case& c) {
  Shape shape = c.table_shape;
  shape[c.dim] = static_cast<int64_t>(c.index.size());
  return shape;
}

TEST(CudaIndexAdd, F32MatchesTheCpuBitForBit) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 1;
  for (const Case& c : cases()) {
    const Tensor table = uniform_input(c.table_shape, seed++);
    const Tensor grad = uniform_input(grad_shape(c), seed++);
    const Tensor index = index_tensor(c);
    const Tensor expected = index_select_grad(table, c.dim, index, grad);
    const Tensor actual = index_select_grad(table.to(Device::cuda()), c.dim,
                                            index.to(Device::cuda()), grad.to(Device::cuda()));
    ASSERT_TRUE(actual.device().is_cuda()) << c.what;
    ASSERT_EQ(actual.shape(), expected.shape()) << c.what;
    EXPECT_EQ(actual.to_vector<float>(), expected.to_vector<float>())
        << c.what << " " << shape_str(c.table_shape);
  }
}

TEST(CudaIndexAdd, SixteenBitDtypesMatchTheCpu) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 100;
  for (const Case& c : cases()) {
    if (c.index.empty()) continue;  // cuda_matches_cpu needs an output with elements
    const Tensor table = uniform_input(c.table_shape, seed++);
    const Tensor index = index_tensor(c);
    const int64_t dim = c.dim;
    for (DType dtype : kCudaDtypes) {
      EXPECT_TRUE(
          cuda_matches_cpu([dim](const TensorList& in) { return index_select(in[0], dim, in[1]); },
                           {table, index}, dtype, c.what));
    }
  }
}

TEST(CudaIndexAdd, TwoRunsAreBitIdentical) {
  FOVEA_REQUIRE_GPU();
  uint64_t seed = 200;
  for (const Case& c : cases()) {
    const Tensor table = uniform_input(c.table_shape, seed++).to(Device::cuda());
    const Tensor grad = uniform_input(grad_shape(c), seed++).to(Device::cuda());
    const Tensor index = index_tensor(c).to(Device::cuda());
    for (DType dtype : kCudaDtypes) {
      const Tensor t = table.to(dtype), g = grad.to(dtype);
      const Tensor first = index_select_grad(t, c.dim, index, g).to(DType::f32);
      const Tensor second = index_select_grad(t, c.dim, index, g).to(DType::f32);
      EXPECT_EQ(first.to_vector<float>(), second.to_vector<float>())
          << c.what << " in " << dtype_name(dtype);
    }
  }
}

TEST(CudaIndexAdd, ForwardAndBackwardNeverWaitForTheDevice) {
  FOVEA_REQUIRE_GPU();
  const Tensor index = relative_position_index({7, 7}).to(Device::cuda());
  Tensor table = uniform_input({169, 6}, 300).to(Device::cuda());
  table.requires_grad_(true);
  const Tensor grad = uniform_input({2401, 6}, 301).to(Device::cuda());
  const int64_t before = host_sync_count();
  index_select(table, 0, index).backward(grad);
  embedding(table.detach(), index.reshape({49, 49}));
  EXPECT_EQ(host_sync_count(), before) << "index_select or its range check read back";
  EXPECT_TRUE(table.grad().defined());
}

}  // namespace
}  // namespace fovea
