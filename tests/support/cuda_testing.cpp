#include "tests/support/cuda_testing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "engine/allocator.h"

namespace fovea::testing {

namespace {

// Poisons every block allocated while it lives, so that unwritten outputs read as NaN.
class PoisonGuard {
 public:
  PoisonGuard() : previous_(poison_new_blocks()) { set_poison_new_blocks(true); }
  ~PoisonGuard() { set_poison_new_blocks(previous_); }
  PoisonGuard(const PoisonGuard&) = delete;
  PoisonGuard& operator=(const PoisonGuard&) = delete;

 private:
  bool previous_;
};

TensorList leaves_on(const TensorList& inputs, Device device, DType dtype) {
  TensorList leaves;
  for (const Tensor& input : inputs) {
    if (!input.defined() || !is_floating(input.dtype())) {
      leaves.push_back(input.defined() ? input.to(device) : input);
      continue;
    }
    Tensor leaf = input.detach().to(dtype).to(device);
    leaf.requires_grad_(true);
    leaves.push_back(leaf);
  }
  return leaves;
}

struct RunResult {
  Tensor output;
  TensorList grads;
};

RunResult run_on(const TestFunction& f, const TensorList& inputs, Device device, DType dtype,
                 const Tensor& upstream) {
  TensorList leaves = leaves_on(inputs, device, dtype);
  Tensor output = f(leaves);
  RunResult result{output.detach().to(Device::cpu()).to(DType::f32), {}};
  if (is_floating(output.dtype()) && output.requires_grad()) {
    output.backward(upstream.to(output.dtype()).to(device));
  }
  for (const Tensor& leaf : leaves) {
    const bool has_grad = leaf.defined() && leaf.requires_grad() && leaf.grad().defined();
    result.grads.push_back(has_grad ? leaf.grad().to(Device::cpu()).to(DType::f32) : Tensor{});
  }
  return result;
}

}  // namespace

CudaTolerance cuda_tolerance(DType dtype) {
  if (dtype == DType::f16 || dtype == DType::bf16) return {.atol = 1e-2, .rtol = 1e-2};
  return {};
}

::testing::AssertionResult cuda_matches_cpu(const TestFunction& f, const TensorList& inputs,
                                            DType dtype, const std::string& what,
                                            CudaTolerance tolerance) {
  PoisonGuard poison;
  // The CPU reference sees the inputs rounded to `dtype` too, so that the comparison
  // measures the kernel's arithmetic and not the rounding of its inputs.
  TensorList rounded;
  for (const Tensor& input : inputs) {
    const bool floating = input.defined() && is_floating(input.dtype());
    rounded.push_back(floating ? input.to(dtype).to(DType::f32) : input);
  }
  const Tensor probe = f(leaves_on(rounded, Device::cpu(), DType::f32));
  const Tensor upstream = randn(probe.shape(), {.dtype = DType::f32}).to(dtype).to(DType::f32);
  const RunResult cpu = run_on(f, rounded, Device::cpu(), DType::f32, upstream);
  const RunResult gpu = run_on(f, rounded, Device::cuda(0), dtype, upstream);
  ::testing::AssertionResult output_ok =
      all_close(gpu.output, cpu.output, tolerance.atol, tolerance.rtol);
  if (!output_ok)
    return ::testing::AssertionFailure() << what << " output: " << output_ok.message();
  for (size_t i = 0; i < cpu.grads.size(); ++i) {
    if (!cpu.grads[i].defined()) continue;
    if (!gpu.grads[i].defined()) {
      return ::testing::AssertionFailure() << what << ": input " << i << " got no CUDA gradient";
    }
    ::testing::AssertionResult grad_ok =
        all_close(gpu.grads[i], cpu.grads[i], tolerance.atol, tolerance.rtol);
    if (!grad_ok) {
      return ::testing::AssertionFailure()
             << what << " gradient of input " << i << ": " << grad_ok.message();
    }
  }
  return ::testing::AssertionSuccess();
}

std::map<std::string, double> relative_to_max_errors(const TensorMap& actual,
                                                     const TensorMap& expected,
                                                     double floor_fraction) {
  const auto host_values = [](const Tensor& t) {
    return t.detach().to(Device::cpu()).to(DType::f32).to_vector<float>();
  };
  const auto max_abs = [](const std::vector<float>& values) {
    double m = 0.0;
    for (float v : values) m = std::max(m, static_cast<double>(std::fabs(v)));
    return m;
  };
  std::map<std::string, std::vector<float>> reference;
  double scale = 0.0;
  for (const auto& [name, t] : expected) {
    if (!t.defined()) continue;
    reference[name] = host_values(t);
    scale = std::max(scale, max_abs(reference[name]));
  }
  const double floor = std::max(floor_fraction * scale, 1e-30);
  constexpr double kInfinite = std::numeric_limits<double>::infinity();
  std::map<std::string, double> errors;
  for (const auto& [name, e] : expected) {
    const auto found = actual.find(name);
    if (found == actual.end() || e.defined() != found->second.defined() ||
        (e.defined() && found->second.shape() != e.shape())) {
      errors[name] = kInfinite;
      continue;
    }
    if (!e.defined()) {
      errors[name] = 0.0;
      continue;
    }
    const std::vector<float>& want = reference.at(name);
    const std::vector<float> got = host_values(found->second);
    double diff = 0.0;
    bool finite = true;
    for (size_t i = 0; i < want.size(); ++i) {
      finite = finite && std::isfinite(got[i]) && std::isfinite(want[i]);
      diff = std::max(diff, static_cast<double>(std::fabs(got[i] - want[i])));
    }
    errors[name] = finite ? diff / std::max(max_abs(want), floor) : kInfinite;
  }
  return errors;
}

::testing::AssertionResult close_relative_to_max(const TensorMap& actual, const TensorMap& expected,
                                                 double tolerance, double floor_fraction) {
  std::vector<std::string> failing;
  double worst = 0.0;
  std::string worst_name;
  for (const auto& [name, error] : relative_to_max_errors(actual, expected, floor_fraction)) {
    if (!(error <= tolerance)) failing.push_back(fmt::format("{} {:.3g}", name, error));
    if (error >= worst) {
      worst = error;
      worst_name = name;
    }
  }
  const std::string summary =
      fmt::format("{} tensors, worst relative-to-max error {:.3g} ({}), tolerance {:.3g}",
                  expected.size(), worst, worst_name, tolerance);
  if (failing.empty()) return ::testing::AssertionSuccess() << summary;
  return ::testing::AssertionFailure()
         << summary << "; failing: " << fmt::format("{}", fmt::join(failing, ", "));
}

}  // namespace fovea::testing
