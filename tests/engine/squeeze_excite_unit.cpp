// channel_mean and channel_scale on the CPU: the same values and gradients as the mean()
// and broadcasting mul() they are built from, and clear errors for bad shapes.
#include <gtest/gtest.h>

#include "engine/ops/elementwise.h"
#include "engine/ops/reduction.h"
#include "engine/ops/squeeze_excite.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

using testing::random_leaf;

TEST(SqueezeExcite, ChannelMeanIsTheSpatialMean) {
  const Tensor x = random_leaf({2, 3, 5, 7}, 1);
  const Tensor pooled = channel_mean(x);
  EXPECT_EQ(pooled.shape(), (Shape{2, 1, 1, 7}));
  EXPECT_ALL_CLOSE(pooled, mean(x, {1, 2}, true), 0.0, 0.0);
}

TEST(SqueezeExcite, ChannelScaleTakesBothScaleShapes) {
  const Tensor x = random_leaf({2, 3, 4, 5}, 2);
  const Tensor s = random_leaf({2, 5}, 3);
  const Tensor expected = mul(x, s.reshape({2, 1, 1, 5}));
  EXPECT_ALL_CLOSE(channel_scale(x, s), expected, 0.0, 0.0);
  EXPECT_ALL_CLOSE(channel_scale(x, s.reshape({2, 1, 1, 5})), expected, 0.0, 0.0);
}

TEST(SqueezeExcite, Gradcheck) {
  EXPECT_TRUE(testing::gradcheck([](const TensorList& in) { return channel_mean(in[0]); },
                                 {random_leaf({2, 3, 2, 4}, 4)}));
  EXPECT_TRUE(testing::gradcheck([](const TensorList& in) { return channel_scale(in[0], in[1]); },
                                 {random_leaf({2, 3, 2, 4}, 5), random_leaf({2, 1, 1, 4}, 6)}));
}

TEST(SqueezeExcite, BadShapesThrowClearErrors) {
  const Tensor x = random_leaf({2, 3, 4, 5}, 7);
  try {
    channel_scale(x, random_leaf({2, 4}, 8));
    FAIL() << "expected fovea::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("channel_scale: scale has shape [2, 4], expected [2, 5]"),
              std::string::npos)
        << e.what();
  }
  try {
    channel_mean(random_leaf({2, 5}, 9));
    FAIL() << "expected fovea::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("channel_mean: input must be channels-last"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fovea
