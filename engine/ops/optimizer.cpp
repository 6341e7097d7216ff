// The optimizer ops (engine/ops/optimizer.h): the device switch, nothing else. The checks
// live with each half, which knows the dtypes it takes (f32 on the CPU; f32, bf16 and f16
// with f32 master copies on CUDA).
#include "engine/ops/optimizer.h"

#include "engine/autograd.h"
#include "engine/ops/cpu/optimizer.h"
#include "engine/ops/cuda/optimizer.h"
#include "engine/ops/dispatch.h"
#include "engine/profile.h"

namespace fovea {

namespace {

template <typename Param>
Device device_of(const char* op, const std::vector<Param>& params) {
  const Device device = params.front().param.device();
  for (const Param& p : params) {
    FOVEA_CHECK(p.param.device() == device,
                "{}: one update takes parameters on one device, got {} and {}", op, device.str(),
                p.param.device().str());
  }
  return device;
}

// What one update reads and writes once, for the profiler: every tensor of every record.
template <typename Param>
auto inputs_of(const std::vector<Param>& params) {
  return [&params] {
    profile::Inputs inputs;
    for (const Param& p : params) {
      inputs.add(p.param);
      inputs.add(p.grad);
      inputs.add(p.master);
      if constexpr (requires { p.exp_avg; }) {
        inputs.add(p.exp_avg);
        inputs.add(p.exp_avg_sq);
      } else {
        inputs.add(p.momentum_buffer);
      }
    }
    return inputs;
  };
}

}  // namespace

void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params) {
  if (params.empty()) return;
  const profile::OpScope scope("adamw_step", inputs_of(params));
  NoGradGuard no_grad;
  switch (device_of("adamw", params).type) {
    case DeviceType::CPU:
      cpu::adamw_step(step, params);
      break;
    case DeviceType::CUDA:
      cuda::adamw_step(step, params);
      break;
  }
}

void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params) {
  if (params.empty()) return;
  const profile::OpScope scope("sgd_step", inputs_of(params));
  NoGradGuard no_grad;
  switch (device_of("sgd", params).type) {
    case DeviceType::CPU:
      cpu::sgd_step(step, params);
      break;
    case DeviceType::CUDA:
      cuda::sgd_step(step, params);
      break;
  }
}

Tensor grad_summary(const std::vector<Tensor>& grads) {
  const profile::OpScope scope("grad_summary", grads);
  FOVEA_CHECK(!grads.empty(), "grad_summary: no gradients given");
  const Device device = grads.front().device();
  for (const Tensor& g : grads) {
    FOVEA_CHECK(g.device() == device,
                "grad_summary: gradients must share one device, got {} and {}", device.str(),
                g.device().str());
  }
  NoGradGuard no_grad;
  switch (device.type) {
    case DeviceType::CPU:
      return cpu::grad_summary(grads);
    case DeviceType::CUDA:
      return cuda::grad_summary(grads);
  }
  fail("grad_summary: unknown device {}", device.str());
}

}  // namespace fovea
