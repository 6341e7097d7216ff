// The parts every model shares (layers/classifier.h, checkpoint_seq, drop_path_rates) and
// the Module features they rest on: inline children and the checkpointing switch.
#include <gtest/gtest.h>

#include "layers/classifier.h"
#include "layers/container.h"
#include "layers/conv.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

std::vector<std::string> parameter_names(const Module& m) {
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
  return names;
}

class TwoHeads : public Module {
 public:
  explicit TwoHeads(bool inline_head) : Module("TwoHeads") {
    stem = register_module("stem", std::make_shared<Linear>(4, 4));
    head = std::make_shared<ClassifierHead>(4, 3, ClassifierHeadConfig{.pool = HeadPool::none});
    if (inline_head) {
      register_inline(head);
    } else {
      register_module("head", head);
    }
  }
  std::shared_ptr<Linear> stem;
  std::shared_ptr<ClassifierHead> head;
};

TEST(ModelParts, AnInlineChildAddsNoNameOfItsOwn) {
  TwoHeads flat(/*inline_head=*/true), nested(/*inline_head=*/false);
  EXPECT_EQ(parameter_names(flat),
            (std::vector<std::string>{"stem.weight", "stem.bias", "fc.weight", "fc.bias"}));
  EXPECT_EQ(parameter_names(nested), (std::vector<std::string>{"stem.weight", "stem.bias",
                                                               "head.fc.weight", "head.fc.bias"}));
  std::vector<std::string> modules;
  for (const auto& [name, m] : flat.named_modules()) modules.push_back(name);
  EXPECT_EQ(modules, (std::vector<std::string>{"", "stem", "drop", "fc"}));
  // Resetting the inline head renames nothing and keeps the names unique.
  flat.head->reset(7);
  EXPECT_EQ(flat.state_dict().at("fc.weight").shape(), (Shape{7, 4}));
  flat.head->reset(0);
  EXPECT_EQ(parameter_names(flat), (std::vector<std::string>{"stem.weight", "stem.bias"}));
}

TEST(ModelParts, AnInlineChildsNamesCannotClash) {
  class Clash : public Module {
   public:
    Clash() : Module("Clash") {
      register_module("fc", std::make_shared<Linear>(2, 2));
      register_inline(
          std::make_shared<ClassifierHead>(2, 2, ClassifierHeadConfig{.pool = HeadPool::none}));
    }
  };
  EXPECT_ERROR(Clash(), "the name 'fc' of the inline ClassifierHead is registered twice");
}

TEST(ModelParts, ClassifierHeadPoolsThenClassifies) {
  manual_seed(0);
  ClassifierHead avg(6, 5, {.pool = HeadPool::avg});
  const Tensor image = randn({2, 3, 4, 6});
  EXPECT_TRUE(
      testing::all_close(avg.forward(image, /*pre_logits=*/true), mean(image, {1, 2}), 0, 0));
  EXPECT_EQ(avg(image).shape(), (Shape{2, 5}));

  ClassifierHead token(6, 5, {.pool = HeadPool::token, .fc_name = "head"});
  const Tensor tokens = randn({2, 9, 6});
  EXPECT_TRUE(testing::all_close(token.forward(tokens, true), tokens.select(1, 0), 0, 0));
  EXPECT_TRUE(token.state_dict().count("head.weight"));
  EXPECT_ERROR(token(image), "token pooling needs tokens [B, N, C], got [2, 3, 4, 6]");

  NormClassifierHead normed(6, 5, 0.0, 1e-6);
  EXPECT_EQ(normed.type_name(), "NormMlpClassifierHead");
  EXPECT_TRUE(
      testing::all_close(normed.forward(image, true), (*normed.norm)(mean(image, {1, 2})), 0, 0));
  EXPECT_TRUE(normed.state_dict().count("norm.weight"));

  avg.reset(0);  // no classifier: the pooled features come out
  EXPECT_EQ(avg(image).shape(), (Shape{2, 6}));
  EXPECT_ERROR(avg.classify(randn({2, 7})), "built for [B, 6] features, got [2, 7]");
}

TEST(ModelParts, DropPathRatesRiseLinearlyOverAllBlocks) {
  const auto rates = drop_path_rates(0.3, {2, 1, 1});
  ASSERT_EQ(rates.size(), 3u);
  ASSERT_EQ(rates[0].size(), 2u);
  EXPECT_EQ(rates[0][0], 0.0);
  EXPECT_DOUBLE_EQ(rates[0][1], 0.1);
  EXPECT_DOUBLE_EQ(rates[1][0], 0.2);
  EXPECT_DOUBLE_EQ(rates[2][0], 0.3);
  // timm's EfficientNet builder stops one step short of the rate.
  const auto short_of = drop_path_rates(0.2, {1, 1}, DropPathEnd::one_past_last_block);
  EXPECT_DOUBLE_EQ(short_of[1].at(0), 0.1);
  EXPECT_EQ(drop_path_rates(0.5, {1}), (std::vector<std::vector<double>>{{0.0}}));
}

TEST(ModelParts, CheckpointSeqKeepsTheGradientsAndTheSwitchReachesEveryModule) {
  manual_seed(0);
  auto blocks = std::make_shared<Sequential>();
  blocks->add(std::make_shared<Conv2d>(3, 4, Conv2dConfig{.kernel = 3, .padding = 1}));
  blocks->add(std::make_shared<Conv2d>(4, 2, Conv2dConfig{.kernel = 1}));
  // An image needs no gradient; a block input after the stem does. Both must train.
  Tensor x = randn({1, 5, 5, 3});
  auto gradients = [&](bool checkpointed) {
    blocks->zero_grad();
    const Tensor y = checkpointed ? checkpoint_seq(*blocks, x) : (*blocks)(x);
    sum(mul(y, y)).backward();
    std::vector<Tensor> grads;
    for (const Tensor& p : blocks->parameters()) grads.push_back(p.grad());
    return grads;
  };
  for (bool input_needs_grad : {false, true}) {
    x = x.detach();
    x.requires_grad_(input_needs_grad);
    const std::vector<Tensor> plain = gradients(false), recomputed = gradients(true);
    ASSERT_EQ(plain.size(), recomputed.size());
    for (size_t i = 0; i < plain.size(); ++i) {
      ASSERT_TRUE(recomputed[i].defined())
          << "parameter " << i << ", input grad " << input_needs_grad;
      EXPECT_TRUE(testing::all_close(plain[i], recomputed[i], 1e-6, 1e-5)) << "parameter " << i;
    }
  }
  blocks->set_grad_checkpointing(true);
  EXPECT_TRUE(blocks->at(1).grad_checkpointing());
  blocks->set_grad_checkpointing(false);
  EXPECT_FALSE(blocks->at(0).grad_checkpointing());
}

}  // namespace
}  // namespace fovea
