// One mixed-precision training step on CUDA against the same step on the CPU (issue 3):
// a small conv net (conv, BatchNorm, SiLU, depthwise conv, squeeze-and-excitation,
// average and global average pooling, linear) and a small transformer block (LayerNorm,
// attention through scaled_dot_product_attention, GELU MLP), each through the trainer's
// pieces: cross-entropy with label smoothing, the gradient norm with clipping, the loss
// scaler, and AdamW from create_optimizer (the multi-tensor kernel on CUDA), as
// Trainer::optimizer_step runs them.
//   - bf16 autocast on CUDA against f32 on the CPU: loss, gradient norm, every gradient,
//     the BatchNorm running statistics, and every parameter after the update.
//   - f16 autocast with the dynamic loss scaler, on both devices: a finite step updates
//     and keeps the scale; a step whose scaled gradients overflow f16 is skipped, leaves
//     every parameter as it was and halves the scale.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "layers/attention.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/mlp.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/squeeze_excite.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"
#include "train/loss_scaler.h"
#include "train/optimizer.h"

namespace fovea {
namespace {

using testing::close_relative_to_max;
using testing::uniform_input;

// bf16 autocast against f32: matmuls and convolutions round inputs and outputs to bf16
// (2^-9 = 2e-3 relative per rounding) and accumulate in f32. The CPU's own bf16 autocast
// against its f32 step errs by 0.025 (the conv net's bn1.weight, through two train-mode
// BatchNorm backwards) and 0.0065 (the transformer) relative to each gradient's largest
// element; CUDA's bf16 is another sample of the same rounding noise, so 5e-2 ("a few
// 1e-2") gives it twice the CPU's worst, and a wrong kernel (order 1) still fails. The
// nets avoid ReLU and max pooling on purpose: where bf16 rounding moves a value across
// ReLU's corner or reorders a max pool's window, the gradient takes another path, and the
// tensors upstream differ from f32 by 5% to 30% on any correct bf16 implementation
// (measured on the CPU: 0.068 with a ReLU after the depthwise conv, 0.3 with a max pool
// as well). Both ops are checked against the CPU per op in the other cuda tests.
constexpr double kBf16Tolerance = 5e-2;
// f16 autocast on both devices: the same roundings happen on both sides (f16 has a 10-bit
// mantissa, 5e-4 per rounding); each side errs against f32 by at most 0.002 (measured on
// the CPU), so they differ by at most about twice that. 1e-2 bounds it with room.
constexpr double kF16Tolerance = 1e-2;
constexpr double kLr = 1e-2;
constexpr double kClipGradNorm = 5.0;

class SmallConvNet : public Module {
 public:
  SmallConvNet() : Module("SmallConvNet") {
    stem = register_module(
        "stem", std::make_shared<Conv2d>(
                    3, 16, Conv2dConfig{.kernel = 3, .stride = 2, .padding = 1, .bias = false}));
    bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(16));
    dw = register_module(
        "dw", std::make_shared<Conv2d>(
                  16, 16, Conv2dConfig{.kernel = 3, .padding = 1, .groups = 16, .bias = false}));
    bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(16));
    se = register_module("se", std::make_shared<SqueezeExcite>(
                                   16, SqueezeExciteConfig{.reduced_channels = 4, .act = "silu"}));
    pw = register_module(
        "pw", std::make_shared<Conv2d>(16, 24, Conv2dConfig{.kernel = 1, .bias = false}));
    bn3 = register_module("bn3", std::make_shared<BatchNorm2d>(24));
    pool = register_module("pool", std::make_shared<GlobalAvgPool>());
    fc = register_module("fc", std::make_shared<Linear>(24, 10));
  }
  // x [N, 16, 16, 3]: 8x8 after the stem, 4x4 after the 2x2 average pool.
  Tensor forward(const Tensor& x) override {
    Tensor h = silu((*bn1)((*stem)(x)));
    h = (*se)(silu((*bn2)((*dw)(h))));
    h = avg_pool2d((*bn3)((*pw)(h)), {2, 2}, {2, 2}, {0, 0}, false, true);
    return (*fc)((*pool)(h));
  }
  std::shared_ptr<Conv2d> stem, dw, pw;
  std::shared_ptr<BatchNorm2d> bn1, bn2, bn3;
  std::shared_ptr<SqueezeExcite> se;
  std::shared_ptr<GlobalAvgPool> pool;
  std::shared_ptr<Linear> fc;
};

// A pre-norm ViT block on [N, tokens, 32], then mean pooling over the tokens and a head.
class SmallTransformer : public Module {
 public:
  SmallTransformer() : Module("SmallTransformer") {
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(32, 1e-6));
    attn = register_module("attn", std::make_shared<Attention>(32, 4));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(32, 1e-6));
    mlp = register_module("mlp", std::make_shared<Mlp>(32, 64));
    head = register_module("head", std::make_shared<Linear>(32, 10));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = add(x, (*attn)((*norm1)(x)));
    h = add(h, (*mlp)((*norm2)(h)));
    return (*head)(mean(h, {1}));
  }
  std::shared_ptr<LayerNorm> norm1, norm2;
  std::shared_ptr<Attention> attn;
  std::shared_ptr<Mlp> mlp;
  std::shared_ptr<Linear> head;
};

using MakeNet = std::function<std::shared_ptr<Module>()>;

struct Case {
  std::string name;
  MakeNet make;
  Shape input_shape;
};

const Case kCases[] = {
    {"conv net", [] { return std::make_shared<SmallConvNet>(); }, {8, 16, 16, 3}},
    {"transformer block", [] { return std::make_shared<SmallTransformer>(); }, {4, 10, 32}},
};

// The same initial weights on `device`.
std::shared_ptr<Module> build(const Case& c, Device device) {
  manual_seed(17);
  std::shared_ptr<Module> net = c.make();
  net->to(device);
  net->train();
  return net;
}

TensorMap host_copy(const std::vector<Module::NamedTensor>& tensors) {
  TensorMap out;
  for (const auto& [name, t] : tensors) {
    out[name] = t.defined() ? t.detach().to(Device::cpu()).to(DType::f32).clone() : Tensor();
  }
  return out;
}

struct StepOutcome {
  double loss = 0;
  double grad_norm = 0;  // unscaled
  bool stepped = false;
  double scale_after = 0;
  TensorMap grads;  // unscaled, f32 on the CPU
  TensorMap params_before, params_after, buffers_after;
};

// One step as Trainer::train_epoch and optimizer_step run it (one micro-batch).
StepOutcome train_step(Module& net, const Tensor& x, const Tensor& labels, Device device,
                       AutocastState amp, train::LossScaler& scaler) {
  train::TrainingSection config;
  config.lr = kLr;
  config.weight_decay = 0.05;
  config.clip_grad_norm = kClipGradNorm;
  std::unique_ptr<train::Optimizer> optimizer = train::create_optimizer(net, config);
  StepOutcome out;
  out.params_before = host_copy(net.named_parameters());
  net.zero_grad();
  Tensor loss;
  {
    AutocastGuard autocast(amp);
    const Tensor logits = net.forward(x.to(device));
    loss = cross_entropy(logits, labels.to(device), {.label_smoothing = 0.1});
  }
  out.loss = loss.item();
  const double scale = scaler.scale();
  mul(loss, scale).backward();
  for (const auto& [name, p] : net.named_parameters()) {
    out.grads[name] =
        p.grad().defined() ? div(p.grad().to(DType::f32), scale).to(Device::cpu()) : Tensor();
  }
  const double scaled_norm = optimizer->grad_norm();
  out.grad_norm = scaled_norm / scale;
  out.stepped = scaler.update(scaled_norm);
  if (out.stepped) {
    const double clip = std::min(1.0, kClipGradNorm / (out.grad_norm + 1e-6));
    optimizer->step(kLr, clip / scale);
  }
  optimizer->zero_grad();
  out.scale_after = scaler.scale();
  out.params_after = host_copy(net.named_parameters());
  out.buffers_after = host_copy(net.named_buffers());
  return out;
}

// The updated parameters against the CPU's. AdamW's first step moves an element by
// lr * g / (|g| + eps) (at most lr) plus lr * wd * p: the update depends on the gradient's
// sign, not its size. Where the CPU gradient exceeds twice what the gradient check allows
// (and 1e-4, so that eps stays negligible), CUDA's has the same sign, and the two results
// agree to f32 rounding and eps / |g|; elsewhere the signs may differ, and so may the
// results, by up to 2 lr. Also checks that every parameter with a gradient moved.
::testing::AssertionResult updates_agree(const StepOutcome& gpu, const StepOutcome& cpu,
                                         double grad_tolerance) {
  double scale = 0.0;
  for (const auto& [name, g] : cpu.grads) {
    for (float v : g.to_vector<float>()) scale = std::max(scale, std::fabs(double{v}));
  }
  for (const auto& [name, before_t] : cpu.params_before) {
    const std::vector<float> before = before_t.to_vector<float>();
    const std::vector<float> want = cpu.params_after.at(name).to_vector<float>();
    const std::vector<float> got = gpu.params_after.at(name).to_vector<float>();
    const std::vector<float> g = cpu.grads.at(name).to_vector<float>();
    double own = 0.0, moved = 0.0;
    for (float v : g) own = std::max(own, std::fabs(double{v}));
    const double sure = std::max({2 * grad_tolerance * std::max(own, 1e-3 * scale), 1e-4});
    for (size_t i = 0; i < want.size(); ++i) {
      const double p = std::fabs(double{before[i]});
      const double allowed = std::fabs(g[i]) > sure ? 1e-6 * std::max(1.0, p) + 5e-3 * kLr
                                                    : 1e-6 * std::max(1.0, p) + 2.01 * kLr;
      const double diff = std::fabs(double{got[i]} - double{want[i]});
      if (!(diff <= allowed)) {
        return ::testing::AssertionFailure()
               << name << "[" << i << "]: CUDA " << got[i] << ", CPU " << want[i] << " (from "
               << before[i] << ", CPU gradient " << g[i] << ", allowed " << allowed << ")";
      }
      moved = std::max(moved, std::fabs(double{got[i]} - double{before[i]}));
    }
    if (!(moved > 0.5 * kLr)) {
      return ::testing::AssertionFailure() << name << " did not move on CUDA (by " << moved << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(AmpStepCuda, Bf16StepMatchesCpuF32Step) {
  FOVEA_REQUIRE_GPU();
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Tensor x = uniform_input(c.input_shape, 31);
    const Tensor labels =
        from_vector<int64_t>({3, 0, 9, 9, 4, 1, 7, 2}, {8}).narrow(0, 0, c.input_shape[0]);
    train::LossScaler no_scaling_cpu(false), no_scaling_gpu(false);
    std::shared_ptr<Module> cpu_net = build(c, Device::cpu());
    std::shared_ptr<Module> gpu_net = build(c, Device::cuda());
    const StepOutcome cpu =
        train_step(*cpu_net, x, labels, Device::cpu(), {.enabled = false}, no_scaling_cpu);
    const StepOutcome gpu = train_step(*gpu_net, x, labels, Device::cuda(),
                                       {.enabled = true, .dtype = DType::bf16}, no_scaling_gpu);
    ASSERT_TRUE(cpu.stepped && gpu.stepped);
    EXPECT_NEAR(gpu.loss, cpu.loss, kBf16Tolerance * std::fabs(cpu.loss));
    EXPECT_NEAR(gpu.grad_norm, cpu.grad_norm, kBf16Tolerance * cpu.grad_norm);
    const ::testing::AssertionResult grads =
        close_relative_to_max(gpu.grads, cpu.grads, kBf16Tolerance);
    EXPECT_TRUE(grads) << "gradients";
    std::cout << c.name << " bf16 gradients: " << grads.message() << "\n";
    EXPECT_TRUE(close_relative_to_max(gpu.buffers_after, cpu.buffers_after, kBf16Tolerance))
        << "buffers";
    EXPECT_TRUE(updates_agree(gpu, cpu, kBf16Tolerance));
  }
}

TEST(AmpStepCuda, F16LossScalerStepsOrSkipsAsOnTheCpu) {
  FOVEA_REQUIRE_GPU();
  const AutocastState f16{.enabled = true, .dtype = DType::f16};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const Tensor x = uniform_input(c.input_shape, 32);
    const Tensor labels =
        from_vector<int64_t>({1, 5, 5, 0, 8, 2, 6, 3}, {8}).narrow(0, 0, c.input_shape[0]);
    // A finite step at scale 1024: taken on both devices, the scale unchanged.
    {
      train::LossScaler cpu_scaler(true, 1024.0), gpu_scaler(true, 1024.0);
      std::shared_ptr<Module> cpu_net = build(c, Device::cpu());
      std::shared_ptr<Module> gpu_net = build(c, Device::cuda());
      const StepOutcome cpu = train_step(*cpu_net, x, labels, Device::cpu(), f16, cpu_scaler);
      const StepOutcome gpu = train_step(*gpu_net, x, labels, Device::cuda(), f16, gpu_scaler);
      ASSERT_TRUE(cpu.stepped);
      ASSERT_TRUE(gpu.stepped);
      EXPECT_EQ(gpu.scale_after, 1024.0);
      EXPECT_EQ(gpu.scale_after, cpu.scale_after);
      EXPECT_NEAR(gpu.loss, cpu.loss, kF16Tolerance * std::fabs(cpu.loss));
      EXPECT_TRUE(close_relative_to_max(gpu.grads, cpu.grads, kF16Tolerance)) << "gradients";
      EXPECT_TRUE(updates_agree(gpu, cpu, kF16Tolerance));
    }
    // At scale 2^40 the loss gradient (about 1e10 at the logits) overflows f16 where it
    // is cast back through the autocast boundary: both devices skip the step, leave the
    // weights alone and halve the scale.
    {
      const double huge = std::ldexp(1.0, 40);
      train::LossScaler cpu_scaler(true, huge), gpu_scaler(true, huge);
      std::shared_ptr<Module> cpu_net = build(c, Device::cpu());
      std::shared_ptr<Module> gpu_net = build(c, Device::cuda());
      const StepOutcome cpu = train_step(*cpu_net, x, labels, Device::cpu(), f16, cpu_scaler);
      const StepOutcome gpu = train_step(*gpu_net, x, labels, Device::cuda(), f16, gpu_scaler);
      EXPECT_TRUE(std::isfinite(gpu.loss));
      EXPECT_FALSE(cpu.stepped);
      EXPECT_FALSE(gpu.stepped);
      EXPECT_EQ(cpu.scale_after, huge / 2);
      EXPECT_EQ(gpu.scale_after, huge / 2);
      EXPECT_EQ(gpu_scaler.skipped_steps(), 1);
      for (const auto& [name, before] : gpu.params_before) {
        EXPECT_TRUE(testing::all_close(gpu.params_after.at(name), before, 0, 0)) << name;
      }
      for (const auto& [name, p] : gpu_net->named_parameters()) {
        EXPECT_FALSE(p.grad().defined()) << name << " kept its gradient after the skip";
      }
    }
  }
}

}  // namespace
}  // namespace fovea
