#include "engine/ops/cpu/optimizer.h"

#include "engine/ops/factory.h"
#include "kernels/optimizer.h"

namespace fovea::cpu {

namespace {

void check_f32(const Tensor& t, const Tensor& param, const char* op, const char* what) {
  FOVEA_CHECK(t.defined() && t.dtype() == DType::f32 && t.is_contiguous() && t.device().is_cpu() &&
                  t.numel() == param.numel(),
              "{}: the {} must be a contiguous f32 CPU tensor of {} elements, got {}", op, what,
              param.numel(),
              t.defined() ? fmt::format("{} {} on {}", dtype_name(t.dtype()), shape_str(t.shape()),
                                        t.device().str())
                          : std::string("none"));
}

}  // namespace

void adamw_step(const kernels::AdamWStep& step, const std::vector<AdamWParam>& params) {
  for (const AdamWParam& p : params) {
    for (const auto& [tensor, what] : {std::pair{&p.param, "parameter"},
                                       {&p.grad, "gradient"},
                                       {&p.exp_avg, "exp_avg"},
                                       {&p.exp_avg_sq, "exp_avg_sq"}}) {
      check_f32(*tensor, p.param, "adamw", what);
    }
    kernels::cpu::adamw_step(step, p.param.data<float>(), p.grad.data<float>(),
                             p.exp_avg.data<float>(), p.exp_avg_sq.data<float>(), p.param.numel());
  }
}

void sgd_step(const kernels::SgdStep& step, const std::vector<SgdParam>& params) {
  for (const SgdParam& p : params) {
    check_f32(p.param, p.param, "sgd", "parameter");
    check_f32(p.grad, p.param, "sgd", "gradient");
    if (step.momentum != 0.0) check_f32(p.momentum_buffer, p.param, "sgd", "momentum buffer");
    float* momentum = p.momentum_buffer.defined() ? p.momentum_buffer.data<float>() : nullptr;
    kernels::cpu::sgd_step(step, p.param.data<float>(), p.grad.data<float>(), momentum,
                           p.param.numel());
  }
}

Tensor grad_summary(const std::vector<Tensor>& grads) {
  double sum_of_squares = 0.0;
  int64_t non_finite = 0;
  for (const Tensor& grad : grads) {
    check_f32(grad, grad, "grad_summary", "gradient");
    sum_of_squares += kernels::cpu::sum_of_squares(grad.data<float>(), grad.numel());
    non_finite += kernels::cpu::count_non_finite(grad.data<float>(), grad.numel());
  }
  Tensor out = make_tensor({2}, DType::f64, Device::cpu());
  out.data<double>()[0] = sum_of_squares;
  out.data<double>()[1] = static_cast<double>(non_finite);
  return out;
}

}  // namespace fovea::cpu
