// Shape ops against PyTorch 1.13 (tests/reference/ref_shape.py), forward and gradients.
#include <gtest/gtest.h>

#include "engine/ops/shape.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::check_case;
using testing::Reference;

class ShapeParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { reference_ = new Reference("shape"); }
  static void TearDownTestSuite() { delete reference_; }
  static Reference* reference_;
};
Reference* ShapeParity::reference_ = nullptr;

TEST_F(ShapeParity, CatStack) {
  const Reference& r = *reference_;
  check_case(r, "cat_last", {"a", "b", "d"}, [](const TensorList& in) { return cat(in, -1); });
  check_case(r, "cat_first", {"a", "b"}, [](const TensorList& in) { return cat(in, 0); });
  check_case(r, "stack", {"a", "b", "d"}, [](const TensorList& in) { return stack(in, 1); });
}

TEST_F(ShapeParity, PadRoll) {
  const Reference& r = *reference_;
  check_case(r, "pad_swin", {"input"}, [](const TensorList& in) {
    return pad(in[0], {0, 0, 0, 3, 0, 2});
  });
  check_case(r, "pad_mixed", {"input"}, [](const TensorList& in) {
    return pad(in[0], {2, -1, -1, 3}, 0.5);
  });
  check_case(r, "roll_swin", {"input"}, [](const TensorList& in) {
    return roll(in[0], {-3, -3}, {1, 2});
  });
  check_case(r, "roll_flat", {"input"}, [](const TensorList& in) { return roll(in[0], {4}, {}); });
}

TEST_F(ShapeParity, Indexing) {
  const Reference& r = *reference_;
  check_case(r, "gather_1", {"input", "index"},
             [](const TensorList& in) { return gather(in[0], 1, in[1]); });
  check_case(r, "gather_last", {"input", "index"},
             [](const TensorList& in) { return gather(in[0], -1, in[1]); });
  check_case(r, "index_select_bias", {"input", "index"},
             [](const TensorList& in) { return index_select(in[0], 0, in[1]); });
  check_case(r, "index_select_1", {"input", "index"},
             [](const TensorList& in) { return index_select(in[0], 1, in[1]); });
  check_case(r, "embedding", {"weight", "indices"},
             [](const TensorList& in) { return embedding(in[0], in[1]); });
  const Tensor hot = one_hot(r["one_hot.indices"], 7);
  EXPECT_EQ(hot.dtype(), DType::i64);
  EXPECT_ALL_CLOSE(hot, r["one_hot.y"], 0, 0);
}

TEST_F(ShapeParity, Interpolate) {
  const Reference& r = *reference_;
  for (const std::string mode : {"bilinear", "bicubic"}) {
    for (const bool corners : {false, true}) {
      const std::string tag = mode + (corners ? "_ac" : "_hp");
      check_case(r, "up_" + tag, {"input"}, [&](const TensorList& in) {
        return interpolate(in[0], {.size = {{24, 24}}, .mode = mode, .align_corners = corners});
      });
      check_case(r, "down_" + tag, {"input"}, [&](const TensorList& in) {
        return interpolate(in[0], {.size = {{7, 7}}, .mode = mode, .align_corners = corners});
      });
      check_case(r, "scale2_" + tag, {"input"}, [&](const TensorList& in) {
        return interpolate(in[0],
                           {.scale_factor = {{2.0, 2.0}}, .mode = mode, .align_corners = corners});
      });
    }
    check_case(r, "scale17_" + mode, {"input"}, [&](const TensorList& in) {
      return interpolate(in[0], {.scale_factor = {{1.7, 1.7}}, .mode = mode});
    });
  }
  check_case(r, "up_nearest", {"input"}, [](const TensorList& in) {
    return interpolate(in[0], {.size = {{24, 24}}, .mode = "nearest"});
  });
  check_case(r, "down_nearest", {"input"}, [](const TensorList& in) {
    return interpolate(in[0], {.size = {{7, 7}}, .mode = "nearest"});
  });
  check_case(r, "scale2_nearest", {"input"}, [](const TensorList& in) {
    return interpolate(in[0], {.scale_factor = {{2.0, 2.0}}, .mode = "nearest"});
  });
  check_case(r, "scale17_nearest", {"input"}, [](const TensorList& in) {
    return interpolate(in[0], {.scale_factor = {{1.7, 1.7}}, .mode = "nearest"});
  });
  check_case(r, "rect_bicubic", {"input"}, [](const TensorList& in) {
    return interpolate(in[0], {.size = {{9, 20}}, .mode = "bicubic"});
  });
}

}  // namespace
}  // namespace fovea
