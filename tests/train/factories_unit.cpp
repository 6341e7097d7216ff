// create_criterion and create_optimizer: the loss and the optimizer the config names, with
// its settings and class weights, picked once when the trainer is built.
#include <gtest/gtest.h>

#include "tests/support/testing.h"
#include "train/criterion.h"
#include "train/optimizer.h"

namespace fovea::train {
namespace {

const std::vector<int64_t> kCounts = {6, 2, 4};  // samples per class

Tensor logits() {
  return from_vector<float>({2.0f, -1.0f, 0.5f, 0.1f, 0.3f, -0.7f, -2.0f, 1.5f, 0.0f}, {3, 3});
}
Tensor labels() {
  return from_vector<int64_t>({0, 1, 2}, {3});
}

TEST(Criterion, CrossEntropyWithSmoothingAndBalancedWeights) {
  TrainingSection t;
  t.label_smoothing = 0.1;
  t.class_weights = ClassWeighting::balanced;
  const std::unique_ptr<Criterion> criterion = create_criterion(t, kCounts);
  // scikit-learn's balanced weights: 12 / (3 * count).
  const Tensor weights = from_vector<float>({12.0f / 18, 12.0f / 6, 12.0f / 12}, {3});
  EXPECT_ALL_CLOSE(criterion->class_weights(), weights, 1e-7, 0);
  EXPECT_ALL_CLOSE((*criterion)(logits(), labels(), Tensor()),
                   cross_entropy(logits(), labels(), {.weight = weights, .label_smoothing = 0.1}),
                   1e-7, 1e-6);
  const Tensor soft = softmax(logits(), 1);  // mixup's targets already carry the smoothing
  EXPECT_ALL_CLOSE((*criterion)(logits(), labels(), soft),
                   cross_entropy(logits(), soft, {.weight = weights}), 1e-7, 1e-6);
}

TEST(Criterion, FocalTakesAScalarAlphaOrTheClassWeights) {
  TrainingSection t;
  t.loss = LossKind::focal;
  t.focal_gamma = 1.5;
  t.focal_alpha = 0.25;
  EXPECT_ALL_CLOSE(
      (*create_criterion(t, kCounts))(logits(), labels(), Tensor()),
      focal_loss(logits(), labels(), {.gamma = 1.5, .alpha = scalar_tensor(0.25, DType::f32)}),
      1e-7, 1e-6);
  t.class_weights = ClassWeighting::given;
  t.class_weight_values = {1.0, 0.5, 2.0};
  const Tensor alpha = from_vector<float>({1.0f, 0.5f, 2.0f}, {3});
  EXPECT_ALL_CLOSE((*create_criterion(t, kCounts))(logits(), labels(), Tensor()),
                   focal_loss(logits(), labels(), {.gamma = 1.5, .alpha = alpha}), 1e-7, 1e-6);
}

TEST(Criterion, BinaryCrossEntropyWeighsThePositives) {
  TrainingSection t;
  t.loss = LossKind::bce;
  t.class_weights = ClassWeighting::given;
  t.class_weight_values = {2.0, 1.0, 0.5};
  const std::unique_ptr<Criterion> criterion = create_criterion(t, kCounts);
  const Tensor targets = from_vector<float>({1, 0, 1, 0, 0, 1, 1, 1, 0}, {3, 3});
  EXPECT_ALL_CLOSE((*criterion)(logits(), labels(), targets),
                   binary_cross_entropy_with_logits(logits(), targets, Tensor(),
                                                    from_vector<float>({2.0f, 1.0f, 0.5f}, {3})),
                   1e-7, 1e-6);
  EXPECT_THROW((*criterion)(logits(), labels(), Tensor()), Error);
}

TEST(Criterion, GivenWeightsMustCoverEveryClass) {
  TrainingSection t;
  t.class_weights = ClassWeighting::given;
  t.class_weight_values = {1.0, 2.0};
  try {
    create_criterion(t, kCounts);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has 2 values for 3 classes"), std::string::npos)
        << e.what();
  }
}

TEST(Optimizer, TheFactoryBuildsTheConfiguredKind) {
  class Tiny : public Module {
   public:
    Tiny() : Module("Tiny") { register_parameter("weight", &w, zeros({2, 2})); }
    Tensor w;
  } tiny;
  TrainingSection t;
  EXPECT_NE(dynamic_cast<AdamW*>(create_optimizer(tiny, t).get()), nullptr);
  t.optimizer = OptimizerKind::sgd;
  EXPECT_NE(dynamic_cast<SGD*>(create_optimizer(tiny, t).get()), nullptr);
}

}  // namespace
}  // namespace fovea::train
