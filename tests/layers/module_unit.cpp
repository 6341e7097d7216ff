// Module: the parameter tree, state_dict keys, loading with errors, modes and placement.
#include <gtest/gtest.h>

#include "layers/container.h"
#include "layers/init.h"
#include "tests/support/testing.h"

namespace fovea {
namespace {

// y = x * scale + shift, with a running-count buffer: enough to exercise the tree.
class ScaleShift : public Module {
 public:
  explicit ScaleShift(int64_t features) : Module("ScaleShift") {
    register_parameter("weight", &weight_, ones({features}));
    register_parameter("bias", &bias_, zeros({features}));
    register_buffer("num_batches_tracked", &count_, zeros({}, {.dtype = DType::i64}));
    register_buffer("scratch", &scratch_, zeros({features}), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) override { return add(mul(x, weight_), bias_); }
  Tensor weight_, bias_, count_, scratch_;
};

class Net : public Module {
 public:
  Net() : Module("Net") {
    stem = register_module("stem", std::make_shared<ScaleShift>(3));
    blocks = register_module("blocks", std::make_shared<Sequential>());
    blocks->add(std::make_shared<ScaleShift>(3));
    blocks->add(std::make_shared<Identity>());
    blocks->add(std::make_shared<ScaleShift>(3));
    register_parameter("cls_token", &cls_token_, zeros({1, 3}));
  }
  Tensor forward(const Tensor& x) override {
    return add(blocks->forward(stem->forward(x)), cls_token_);
  }
  std::shared_ptr<ScaleShift> stem;
  std::shared_ptr<Sequential> blocks;
  Tensor cls_token_;
};

TEST(Module, DottedNamesInRegistrationOrder) {
  Net net;
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"cls_token", "stem.weight", "stem.bias", "blocks.0.weight",
                                      "blocks.0.bias", "blocks.2.weight", "blocks.2.bias"}));
  EXPECT_EQ(net.num_parameters(), 3 + 6 * 3);
  const TensorMap state = net.state_dict();
  EXPECT_TRUE(state.count("stem.num_batches_tracked"));
  EXPECT_FALSE(state.count("stem.scratch"));  // non-persistent
  EXPECT_EQ(state.size(), 7u + 3u);
  EXPECT_EQ(net.named_parameters("blocks.*").size(), 4u);
  EXPECT_EQ(net.named_parameters("*.bias").size(), 3u);
  std::vector<std::string> modules;
  for (auto& [name, m] : net.named_modules()) modules.push_back(name + ":" + m->type_name());
  EXPECT_EQ(modules[0], ":Net");
  EXPECT_EQ(modules[3], "blocks.0:ScaleShift");
}

TEST(Module, LoadStateDictCopiesInPlace) {
  Net a, b;
  {
    NoGradGuard no_grad;
    a.stem->weight_.fill_(2.0);
  }
  const Tensor b_weight_before = b.stem->weight_;
  b.load_state_dict(a.state_dict());
  EXPECT_TRUE(b.stem->weight_.is_same(b_weight_before));  // same tensor, new values
  EXPECT_EQ(b.stem->weight_.to_vector<float>(), (std::vector<float>{2, 2, 2}));
}

TEST(Module, StrictLoadListsEveryProblem) {
  Net net;
  TensorMap state = net.state_dict();
  state.erase("blocks.2.bias");
  state["head.weight"] = zeros({2});
  state["stem.weight"] = zeros({4});
  try {
    net.load_state_dict(state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("1 missing key(s) [blocks.2.bias]"), std::string::npos) << message;
    EXPECT_NE(message.find("1 unexpected key(s) [head.weight]"), std::string::npos) << message;
    EXPECT_NE(message.find("stem.weight: file [4] vs module [3]"), std::string::npos) << message;
  }
  const auto result = net.load_state_dict(state, /*strict=*/false);
  EXPECT_EQ(result.missing.size(), 1u);
  EXPECT_EQ(result.unexpected.size(), 1u);
  EXPECT_EQ(result.mismatched.size(), 1u);
}

TEST(Module, ModesDtypesAndFreezing) {
  Net net;
  net.eval();
  EXPECT_FALSE(net.blocks->is_training());
  net.train();
  EXPECT_TRUE(net.stem->is_training());

  net.to(DType::f64);
  EXPECT_EQ(net.stem->weight_.dtype(), DType::f64);
  EXPECT_TRUE(net.stem->weight_.requires_grad());
  EXPECT_EQ(net.stem->count_.dtype(), DType::i64);  // integer buffers keep their dtype

  net.set_requires_grad(false, "stem.*");
  EXPECT_EQ(net.num_parameters(/*trainable_only=*/true), 3 + 12);
  Tensor y = sum(net.forward(ones({2, 3}, {.dtype = DType::f64})));
  y.backward();
  EXPECT_FALSE(net.stem->weight_.grad().defined());
  EXPECT_TRUE(net.blocks->at(0).named_parameters()[0].second.grad().defined());
  net.zero_grad();
  EXPECT_FALSE(net.cls_token_.grad().defined());
}

TEST(Module, RegistrationErrors) {
  class Bad : public Module {
   public:
    Bad() : Module("Bad") {
      register_parameter("w", &w_, zeros({1}));
      register_parameter("w", &v_, zeros({1}));
    }
    Tensor w_, v_;
  };
  EXPECT_THROW(Bad(), Error);
  class Dotted : public Module {
   public:
    Dotted() : Module("Dotted") { register_parameter("a.b", &w_, zeros({1})); }
    Tensor w_;
  };
  EXPECT_THROW(Dotted(), Error);
  Module plain("Plain");
  EXPECT_THROW(plain.forward(ones({1})), Error);
}

TEST(Init, FansAndDistributions) {
  Tensor conv_weight = empty({64, 3, 3, 32});
  EXPECT_EQ(init::fans(conv_weight).in, 3 * 3 * 32);
  EXPECT_EQ(init::fans(conv_weight).out, 64 * 3 * 3);
  manual_seed(0);
  Tensor w = empty({256, 512});
  init::trunc_normal_(w, 0.0, 0.02, -0.04, 0.04);
  EXPECT_LE(max(abs(w)).item(), 0.04);
  EXPECT_NEAR(var(w.flatten(), {0}).item(), 0.02 * 0.02 * 0.774,
              2e-5);  // variance of N truncated at 2 sigma
  init::kaiming_uniform_(w, std::sqrt(5.0));
  EXPECT_LE(max(abs(w)).item(), 1.0 / std::sqrt(512.0));
  init::kaiming_normal_(conv_weight, init::FanMode::fan_out);
  EXPECT_NEAR(var(conv_weight.flatten(), {0}).item(), 2.0 / (64 * 9), 2e-4);
}

}  // namespace
}  // namespace fovea
