// kernels/cpu/vector_math.h: the f32 exp, erf and tanh that vectorise stay within the
// error bounds their header states, over the whole float range the ops see, and keep
// the special values (inf, NaN, underflow) the C library gives.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernels/cpu/vector_math.h"

namespace fovea::kernels::cpu {
namespace {

// Distance in units in the last place, for finite normal values.
double ulps(float got, double want) {
  const float w = static_cast<float>(want);
  const double ulp = std::nextafter(w, std::numeric_limits<float>::infinity()) - w;
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

TEST(VectorMath, ExpWithinTwoUlpsAndSpecialValues) {
  double worst = 0;
  for (float v = -87.0f; v < 88.7f; v += 0.000731f)
    worst = std::fmax(worst, ulps(exp_f32(v), std::exp(double(v))));
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(exp_f32(0.0f), 1.0f);
  EXPECT_EQ(exp_f32(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_EQ(exp_f32(-200.0f), 0.0f);
  EXPECT_EQ(exp_f32(200.0f), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(exp_f32(std::numeric_limits<float>::quiet_NaN())));
}

TEST(VectorMath, ErfAndTanhWithinTheirAbsoluteBounds) {
  double erf_worst = 0, tanh_worst = 0;
  for (float v = -12.0f; v < 12.0f; v += 0.000113f) {
    erf_worst = std::fmax(erf_worst, std::fabs(erf_f32(v) - std::erf(double(v))));
    tanh_worst = std::fmax(tanh_worst, std::fabs(tanh_f32(v) - std::tanh(double(v))));
  }
  EXPECT_LE(erf_worst, 5e-7);
  EXPECT_LE(tanh_worst, 1e-7);
  EXPECT_EQ(erf_f32(0.0f), 0.0f);
  EXPECT_EQ(tanh_f32(0.0f), 0.0f);
  EXPECT_EQ(erf_f32(100.0f), 1.0f);
  EXPECT_EQ(tanh_f32(-100.0f), -1.0f);
  // Relative accuracy near 0, where tanh(x) ~ x and a 1 - 2/(1+e^2x) form would cancel.
  EXPECT_NEAR(tanh_f32(1e-4f) / 1e-4f, 1.0, 1e-6);
}

TEST(VectorMath, SigmoidSaturatesWithoutNaN) {
  EXPECT_EQ(sigmoid_of(-1000.0f), 0.0f);
  EXPECT_EQ(sigmoid_of(1000.0f), 1.0f);
  EXPECT_FLOAT_EQ(sigmoid_of(0.0f), 0.5f);
  EXPECT_EQ(sigmoid_of(-1000.0), 1.0 / (1.0 + std::exp(1000.0))) << "f64 goes through libm";
}

}  // namespace
}  // namespace fovea::kernels::cpu
