// AdamW and SGD against torch.optim for three steps on the same gradients.
#include <gtest/gtest.h>

#include "tests/support/testing.h"
#include "train/optimizer.h"

namespace fovea::train {
namespace {

Tensor run(OptimizerKind kind, double weight_decay, double momentum, bool nesterov,
           const testing::Reference& ref, double grad_scale = 1.0) {
  Tensor p = ref["inputs.p0"].clone();
  p.requires_grad_(true);
  std::vector<ParamGroup> groups = {{.names = {"w"}, .params = {p}, .weight_decay = weight_decay}};
  std::unique_ptr<Optimizer> opt;
  if (kind == OptimizerKind::adamw) {
    opt = std::make_unique<AdamW>(groups, 0.9, 0.99, 1e-8);
  } else {
    opt = std::make_unique<SGD>(groups, momentum, nesterov);
  }
  const Tensor grads = ref["inputs.grads"];
  const std::vector<double> lrs = ref["inputs.lrs"].to_vector<double>();
  for (int64_t step = 0; step < 3; ++step) {
    // A scaled gradient unscaled by the optimizer must match the plain one.
    p.set_grad(mul(grads.select(0, step), 1.0 / grad_scale).contiguous());
    opt->step(lrs[step], grad_scale);
  }
  return p.detach();
}

TEST(OptimizerParity, MatchesTorchOptim) {
  const testing::Reference ref("optim");
  EXPECT_ALL_CLOSE(run(OptimizerKind::adamw, 0.05, 0, false, ref), ref["adamw.y"], 1e-6, 1e-5);
  EXPECT_ALL_CLOSE(run(OptimizerKind::adamw, 0.05, 0, false, ref, 1024.0), ref["adamw.y"], 1e-6,
                   1e-5);
  EXPECT_ALL_CLOSE(run(OptimizerKind::sgd, 1e-3, 0.9, false, ref), ref["sgd.y"], 1e-6, 1e-5);
  EXPECT_ALL_CLOSE(run(OptimizerKind::sgd, 0.0, 0.9, true, ref), ref["sgd_nesterov.y"], 1e-6, 1e-5);
  EXPECT_ALL_CLOSE(run(OptimizerKind::sgd, 0.0, 0.0, false, ref), ref["sgd_plain.y"], 1e-6, 1e-5);
}

TEST(OptimizerParity, StateRoundTripsThroughStateDict) {
  const testing::Reference ref("optim");
  Tensor p = ref["inputs.p0"].clone();
  p.requires_grad_(true);
  AdamW a({{.names = {"w"}, .params = {p}, .weight_decay = 0.05}}, 0.9, 0.99, 1e-8);
  p.set_grad(ref["inputs.grads"].select(0, 0).contiguous());
  a.step(1e-2, 1.0);
  Tensor q = p.detach().clone();
  q.requires_grad_(true);
  AdamW b({{.names = {"w"}, .params = {q}, .weight_decay = 0.05}}, 0.9, 0.99, 1e-8);
  b.load_state_dict(a.state_dict());
  const Tensor g = ref["inputs.grads"].select(0, 1).contiguous();
  p.set_grad(g.clone());
  q.set_grad(g.clone());
  a.step(5e-3, 1.0);
  b.step(5e-3, 1.0);
  EXPECT_ALL_CLOSE(p, q, 0, 0);
  EXPECT_EQ(b.steps(), 2);
}

TEST(ParamGroups, NoWeightDecayOnNormsAndBiases) {
  class Tiny : public Module {
   public:
    Tiny() : Module("Tiny") {
      register_parameter("weight", &w, zeros({3, 3}));
      register_parameter("bias", &b, zeros({3}));
      register_parameter("pos_embed", &pos, zeros({1, 4, 3}));
    }
    Tensor w, b, pos;
  } tiny;
  TrainingSection t;
  t.weight_decay = 0.1;
  const auto groups = make_param_groups(tiny, t);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].weight_decay, 0.0);
  EXPECT_EQ(groups[0].names, (std::vector<std::string>{"bias", "pos_embed"}));
  EXPECT_EQ(groups[1].names, (std::vector<std::string>{"weight"}));
}

}  // namespace
}  // namespace fovea::train
