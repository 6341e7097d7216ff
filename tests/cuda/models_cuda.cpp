// Every model family on CUDA against the same model on the CPU in f32: one forward and the
// backward of a fixed scalar loss, comparing the logits, the input gradient and every
// parameter gradient by name, once with CUDA in f32 and once under bf16 autocast.
//
// Mode: models with BatchNorm run in eval mode, after one train-mode forward on the CPU
// has moved their running statistics off (0, 1). In train mode at these small inputs (2
// images; ResNet's and DenseNet's last stages run at 1x1) BatchNorm would normalise two
// values per channel, where the gradient divides by their distance and rounding in the
// last bit is amplified without bound; the train-mode kernels are checked per op in
// norm_cuda.cpp and in a whole step in amp_step_cuda.cpp, at batch sizes where the
// statistics are well conditioned. Models without BatchNorm (ConvNeXt, ViT, Swin, logreg)
// run in train mode with every drop rate 0, so their forward is deterministic.
//
// The loss is sum(logits * u) for a fixed random u: its gradient is u, so the backward
// starts from the same values on both devices, whatever the logits came out as.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "layers/norm.h"
#include "models/model.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::close_relative_to_max;
using testing::relative_to_max_errors;

// CUDA f32 against CPU f32, relative to each tensor's largest magnitude. A single f32 op
// agrees to about 1e-6 (the two devices sum in different orders: cuDNN's and cuBLAS's
// tiling against Eigen's, tree reductions against sequential ones); the difference then
// travels through the network, growing roughly with the square root of the depth where
// errors are independent and with the network's amplification where they are not. 1e-4
// leaves two orders of magnitude over one op for the 20 to 120 layers here, and stays far
// below what a wrong kernel gives (a wrong index, a missing term, or TF32 arithmetic, whose
// 10-bit mantissa alone is about 5e-4 per op).
constexpr double kF32Tolerance = 1e-4;

// Under bf16 autocast, matmuls and convolutions round their inputs and outputs to bf16
// (2^-9 = 2e-3 relative per rounding); about 3e-3 per layer, accumulated over the depth,
// gives 1e-2 to 3e-2 at the logits (measured with the CPU's own bf16 autocast against its
// f32: 0.003 for RAD-DINO to 0.031 for MobileNetV2). Gradients are another matter in
// networks with kinks: where rounding moves a value across ReLU's or ReLU6's corner, or
// reorders the candidates of a max pool, the gradient takes another path, and tensors
// upstream of many such flips differ from f32 by 10% to 150% of their largest element on
// any correct bf16 implementation (the CPU's bf16 autocast against its f32, in eval mode:
// ResNet-18 0.53, DenseNet-121 0.54, MobileNetV2 1.4, RegNetY 0.37; the smooth networks,
// EfficientNet, ConvNeXt, ViT, Swin, stay under 0.025). So each tensor may differ from the
// f32 CPU result by 5e-2 ("a few 1e-2"), or by three times what the CPU's bf16 autocast
// itself differs by, whichever is larger: CUDA must be as close to f32 as bf16 arithmetic
// lets an implementation be. A wrong bf16 kernel errs by order 1 on the tensors it touches.
constexpr double kBf16Tolerance = 5e-2;
constexpr double kBf16NoiseMargin = 3.0;

struct StepResult {
  TensorMap logits;  // {"logits": ...}
  TensorMap grads;   // "input" and every parameter by name
};

bool has_batch_norm(Module& model) {
  for (const auto& [name, module] : model.named_modules()) {
    if (dynamic_cast<BatchNorm2d*>(module) != nullptr) return true;
  }
  return false;
}

// One forward and backward on the model's device; everything returned is f32 on the CPU.
StepResult run_step(Model& model, const Tensor& x, const Tensor& upstream, Device device,
                    bool bf16_autocast) {
  model.zero_grad();
  Tensor input = x.detach().to(device).clone();  // a fresh leaf: x.to(cpu) would be x itself
  input.requires_grad_(true);
  Tensor logits;
  {
    AutocastGuard autocast(DType::bf16, bf16_autocast);
    logits = model.forward(input);
  }
  sum(mul(logits.to(DType::f32), upstream.to(device))).backward();
  StepResult result;
  result.logits["logits"] = logits.detach().to(Device::cpu()).to(DType::f32);
  result.grads["input"] =
      input.grad().defined() ? input.grad().to(Device::cpu()).to(DType::f32) : Tensor();
  for (const auto& [name, p] : model.named_parameters()) {
    result.grads[name] = p.grad().defined() ? p.grad().to(Device::cpu()).to(DType::f32) : Tensor();
  }
  return result;
}

void expect_f32_close(const TensorMap& cuda, const TensorMap& cpu, const std::string& what) {
  const ::testing::AssertionResult result = close_relative_to_max(cuda, cpu, kF32Tolerance);
  EXPECT_TRUE(result) << what;
  std::cout << what << ": " << result.message() << "\n";  // the measured errors, for the log
}

// `cuda` (bf16 autocast) against `cpu_f32`, each tensor allowed the larger of kBf16Tolerance
// and kBf16NoiseMargin times the error of `cpu_bf16` (the CPU's bf16 autocast) against it.
void expect_bf16_close(const TensorMap& cuda, const TensorMap& cpu_bf16, const TensorMap& cpu_f32,
                       const std::string& what) {
  const std::map<std::string, double> noise = relative_to_max_errors(cpu_bf16, cpu_f32);
  const std::map<std::string, double> errors = relative_to_max_errors(cuda, cpu_f32);
  double worst = 0.0, worst_noise = 0.0;
  std::string worst_name;
  for (const auto& [name, error] : errors) {
    const double bf16_noise = noise.at(name);
    ASSERT_TRUE(std::isfinite(bf16_noise)) << what << " " << name << ": the CPU's bf16 run failed";
    EXPECT_LE(error, std::max(kBf16Tolerance, kBf16NoiseMargin * bf16_noise))
        << what << " " << name << " (the CPU's bf16 autocast errs by " << bf16_noise << ")";
    if (error >= worst) {
      worst = error;
      worst_noise = bf16_noise;
      worst_name = name;
    }
  }
  std::cout << what << ": " << errors.size() << " tensors, worst relative-to-max error " << worst
            << " (" << worst_name << ", where the CPU's bf16 autocast errs by " << worst_noise
            << ")\n";
}

class EveryFamilyOnCuda : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryFamilyOnCuda, MatchesCpuInF32AndUnderBf16Autocast) {
  FOVEA_REQUIRE_GPU();
  const ModelInfo& info = model_info(GetParam());
  const int64_t size = info.smoke_img_size;
  manual_seed(0);
  ModelPtr model = create_model(info.name, {.num_classes = 10, .img_size = size});
  const Tensor x = testing::uniform_input({2, size, size, 3}, 1);
  const Tensor upstream = testing::uniform_input({2, 10}, 2);
  const bool eval = has_batch_norm(*model);
  if (eval) {
    NoGradGuard no_grad;
    model->train();
    model->forward(testing::uniform_input({4, size, size, 3}, 3));
    model->eval();
  } else {
    model->train();
  }
  const std::string what = info.name + (eval ? " (eval)" : " (train)");
  const StepResult cpu = run_step(*model, x, upstream, Device::cpu(), false);
  const StepResult cpu_bf16 = run_step(*model, x, upstream, Device::cpu(), true);
  model->to(Device::cuda());
  const StepResult cuda = run_step(*model, x, upstream, Device::cuda(), false);
  expect_f32_close(cuda.logits, cpu.logits, what + " CUDA f32 logits");
  expect_f32_close(cuda.grads, cpu.grads, what + " CUDA f32 gradients");
  const StepResult cuda_bf16 = run_step(*model, x, upstream, Device::cuda(), true);
  expect_bf16_close(cuda_bf16.logits, cpu_bf16.logits, cpu.logits, what + " CUDA bf16 logits");
  expect_bf16_close(cuda_bf16.grads, cpu_bf16.grads, cpu.grads, what + " CUDA bf16 gradients");
}

// One model per family (the deeper variants repeat the same blocks), with RAD-DINO for
// its layer scale and patch 14.
INSTANTIATE_TEST_SUITE_P(
    Models, EveryFamilyOnCuda,
    ::testing::Values("resnet18", "seresnext50_32x4d", "densenet121", "efficientnet_b0",
                      "mobilenetv2_100", "mobilenetv3_large_100", "regnety_008", "convnext_tiny",
                      "vit_base_patch16_224", "raddino", "swin_tiny_patch4_window7_224",
                      "swinv2_tiny_window8_256", "coatnet_0_rw_224", "simple_cnn", "logreg"),
    [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fovea
