#include "train/optimizer.h"

#include <cmath>
#include <limits>
#include <map>
#include <regex>

#include "engine/ops/factory.h"
#include "engine/ops/optimizer.h"

namespace fovea::train {

namespace {

// timm's no_weight_decay: 1-D parameters (norms, biases, layer scales) and the token and
// position tables of transformers.
bool decays(const std::string& name, const Tensor& p) {
  if (p.dim() <= 1) return false;
  for (const char* exempt : {"pos_embed", "cls_token", "relative_position_bias_table",
                             "absolute_pos_embed", "logit_scale"}) {
    if (name.find(exempt) != std::string::npos) return false;
  }
  return true;
}

// The depth of a parameter for layer-wise lr decay: embeddings 0, block i at i + 1, the
// rest (final norm, head) at the top.
int64_t layer_id(const std::string& name, int64_t num_blocks) {
  static const std::regex block(R"((?:^|\.)(?:blocks|layers|stages)\.(\d+)\.)");
  std::smatch match;
  if (std::regex_search(name, match, block)) return std::stoll(match[1]) + 1;
  for (const char* embedding : {"cls_token", "pos_embed", "patch_embed", "stem"}) {
    if (name.rfind(embedding, 0) == 0) return 0;
  }
  return num_blocks + 1;
}

}  // namespace

std::vector<ParamGroup> make_param_groups(const Module& model, const TrainingSection& config) {
  const auto named = model.named_parameters();
  int64_t num_blocks = 0;
  if (config.layer_decay < 1.0) {
    for (const auto& [name, p] : named) num_blocks = std::max(num_blocks, layer_id(name, 0) - 1);
    ++num_blocks;
  }
  std::map<std::pair<double, double>, ParamGroup> by_setting;
  for (const auto& [name, p] : named) {
    if (!p.requires_grad()) continue;
    const double wd = (config.decay_norm_and_bias || decays(name, p)) ? config.weight_decay : 0.0;
    const double scale =
        config.layer_decay < 1.0
            ? std::pow(config.layer_decay,
                       static_cast<double>(num_blocks + 1 - layer_id(name, num_blocks)))
            : 1.0;
    ParamGroup& group = by_setting[{wd, scale}];
    group.weight_decay = wd;
    group.lr_scale = scale;
    group.names.push_back(name);
    group.params.push_back(p);
  }
  std::vector<ParamGroup> groups;
  for (auto& [key, group] : by_setting) groups.push_back(std::move(group));
  FOVEA_CHECK(!groups.empty(), "optimizer: the model has no trainable parameters (all frozen?)");
  return groups;
}

void Optimizer::zero_grad() {
  for (ParamGroup& g : groups_) {
    for (Tensor& p : g.params) p.set_grad(Tensor());
  }
}

Tensor Optimizer::grad_summary() const {
  std::vector<Tensor> grads;
  for (const ParamGroup& g : groups_) {
    for (const Tensor& p : g.params) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
  }
  if (grads.empty()) return zeros({2}, {.dtype = DType::f64});
  return fovea::grad_summary(grads);
}

double grad_norm_of(const Tensor& summary) {
  const std::vector<double> values = summary.to_vector<double>();
  return grad_norm_of(values[0], values[1]);
}

double grad_norm_of(double sum_of_squares, double non_finite) {
  // The f64 sum is not finite exactly when some gradient is; the count makes it explicit.
  if (non_finite > 0 && std::isfinite(sum_of_squares)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::sqrt(sum_of_squares);
}

double Optimizer::grad_norm() const {
  return grad_norm_of(grad_summary());
}

Tensor& Optimizer::buffer(size_t group, size_t index, const std::string& name) {
  const Tensor& param = groups_[group].params[index];
  const std::string key = fmt::format("{}.{}.{}", group, index, name);
  auto it = state_.find(key);
  if (it == state_.end()) {
    // State is f32 even for 16-bit CUDA parameters, on the parameter's device.
    it = state_.emplace(key, zeros(param.shape(), {.dtype = DType::f32, .device = param.device()}))
             .first;
  } else if (it->second.device() != param.device()) {
    it->second = it->second.to(param.device());  // e.g. a checkpoint's state loaded on the CPU
  }
  return it->second;
}

Tensor Optimizer::master_copy(size_t group, size_t index) {
  const Tensor& param = groups_[group].params[index];
  if (param.dtype() == DType::f32) return Tensor();
  const std::string key = fmt::format("{}.{}.master", group, index);
  if (state_.count(key) == 0) state_.emplace(key, param.to(DType::f32).contiguous());
  return buffer(group, index, "master");
}

TensorMap Optimizer::state_dict() const {
  TensorMap out = state_;
  out["steps"] = scalar_tensor(static_cast<double>(steps_), DType::i64);
  return out;
}

void Optimizer::load_state_dict(const TensorMap& state) {
  state_.clear();
  for (const auto& [key, tensor] : state) {
    if (key == "steps") {
      steps_ = static_cast<int64_t>(tensor.item());
    } else {
      state_[key] = tensor.clone();
    }
  }
}

AdamW::AdamW(std::vector<ParamGroup> groups, double beta1, double beta2, double eps)
    : Optimizer(std::move(groups)), beta1_(beta1), beta2_(beta2), eps_(eps) {}

void AdamW::step(double lr, double grad_scale) {
  NoGradGuard no_grad;
  ++steps_;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    const kernels::AdamWStep settings{.lr = lr * group.lr_scale,
                                      .beta1 = beta1_,
                                      .beta2 = beta2_,
                                      .eps = eps_,
                                      .weight_decay = group.weight_decay,
                                      .step = steps_,
                                      .grad_scale = grad_scale};
    std::vector<AdamWParam> params;
    for (size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      if (!p.grad().defined()) continue;
      params.push_back({.param = p,
                        .grad = p.grad(),
                        .master = master_copy(g, i),
                        .exp_avg = buffer(g, i, "exp_avg"),
                        .exp_avg_sq = buffer(g, i, "exp_avg_sq")});
    }
    adamw_step(settings, params);  // the whole group at once (multi-tensor launches on CUDA)
  }
}

SGD::SGD(std::vector<ParamGroup> groups, double momentum, bool nesterov)
    : Optimizer(std::move(groups)), momentum_(momentum), nesterov_(nesterov) {}

void SGD::step(double lr, double grad_scale) {
  NoGradGuard no_grad;
  ++steps_;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    const kernels::SgdStep settings{.lr = lr * group.lr_scale,
                                    .momentum = momentum_,
                                    .weight_decay = group.weight_decay,
                                    .nesterov = nesterov_,
                                    .first = true,
                                    .grad_scale = grad_scale};
    // Indexed by `first`: parameters whose momentum buffer starts now, and the rest.
    std::vector<SgdParam> params[2];
    for (size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      if (!p.grad().defined()) continue;
      const std::string key = fmt::format("{}.{}.momentum_buffer", g, i);
      const bool first = state_.count(key) == 0;
      params[first].push_back({.param = p,
                               .grad = p.grad(),
                               .master = master_copy(g, i),
                               .momentum_buffer = buffer(g, i, "momentum_buffer")});
    }
    for (const bool first : {false, true}) {
      kernels::SgdStep step = settings;
      step.first = first;
      sgd_step(step, params[first]);
    }
  }
}

std::unique_ptr<Optimizer> create_optimizer(const Module& model, const TrainingSection& config) {
  std::vector<ParamGroup> groups = make_param_groups(model, config);
  switch (config.optimizer) {
    case OptimizerKind::adamw:
      return std::make_unique<AdamW>(std::move(groups), config.beta1, config.beta2, config.eps);
    case OptimizerKind::sgd:
      return std::make_unique<SGD>(std::move(groups), config.momentum, config.nesterov);
  }
  fail("config: unknown training.optimizer");
}

}  // namespace fovea::train
