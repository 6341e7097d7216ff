// Every registered model: a forward and backward at a small input, the output shape, a
// finite gradient for every parameter, classifier replacement; and the registry's errors.
#include <gtest/gtest.h>

#include <cmath>

#include "models/import.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

class EveryModel : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryModel, ForwardAndBackwardAtASmallInput) {
  const ModelInfo& info = model_info(GetParam());
  manual_seed(0);
  ModelPtr model = create_model(info.name, {.num_classes = 10, .img_size = info.smoke_img_size});
  const Tensor x = randn({2, info.smoke_img_size, info.smoke_img_size, 3});
  const Tensor logits = model->forward(x);
  ASSERT_EQ(logits.shape(), (Shape{2, 10}));
  sum(mul(logits, logits)).backward();
  for (const auto& [name, p] : model->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name << " received no gradient";
    const double norm = sum(abs(p.grad().to(DType::f64))).item();
    ASSERT_TRUE(std::isfinite(norm)) << name << " has a non-finite gradient";
  }
  model->reset_classifier(3);
  model->eval();
  EXPECT_EQ(model->forward(x).shape(), (Shape{2, 3}));
  EXPECT_EQ(model->forward_head(model->forward_features(x), /*pre_logits=*/true).shape(),
            (Shape{2, model->num_features()}));
}

std::vector<std::string> registered_names() {
  std::vector<std::string> names;
  for (const ModelInfo& info : model_registry()) names.push_back(info.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryModel, ::testing::ValuesIn(registered_names()),
                         [](const auto& info) { return info.param; });

TEST(Registry, UnknownNamesSuggestCloseMatches) {
  try {
    create_model("simple_cn");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean simple_cnn"), std::string::npos) << e.what();
  }
}

TEST(Registry, PretrainedWithAnotherClassCountReplacesTheHead) {
  manual_seed(1);
  ModelPtr source = create_model("simple_cnn", {.num_classes = 7, .in_chans = 1, .img_size = 28});
  const std::string path = ::testing::TempDir() + "simple_cnn_7.safetensors";
  save_safetensors(path, source->state_dict());
  ModelPtr tuned = create_model(
      "simple_cnn", {.num_classes = 4, .in_chans = 1, .img_size = 28, .pretrained_path = path});
  EXPECT_EQ(tuned->state_dict().at("fc.weight").shape(), (Shape{4, 256}));
  EXPECT_TRUE(testing::all_close(tuned->state_dict().at("stages.2.conv.weight"),
                                 source->state_dict().at("stages.2.conv.weight"), 0, 0));
  // A backbone that does not fit is an error naming the problem.
  EXPECT_THROW(
      create_model("simple_cnn", {.num_classes = 4, .in_chans = 3, .pretrained_path = path}),
      Error);
}

TEST(Registry, SimpleModelsHaveTheDocumentedSize) {
  // Custom_1 in the seeds: "a 5-layer CNN of about 1M parameters".
  // convs 977,760 + batch norms 1,472 + classifier 2,570
  EXPECT_EQ(create_model("simple_cnn", {.num_classes = 10})->num_parameters(), 981'802);
  EXPECT_EQ(create_model("logreg", {.num_classes = 10, .in_chans = 1})->num_parameters(),
            28 * 28 * 10 + 10);
}

}  // namespace
}  // namespace fovea
