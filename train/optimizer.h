#pragma once
// Optimizers over parameter groups. Groups carry their own weight decay and learning-rate
// scale: norms and biases get no weight decay (timm's habit), and ViT fine-tuning may
// scale each block's learning rate by layer_decay^(depth - block).
#include <memory>
#include <string>
#include <vector>

#include "layers/module.h"
#include "train/config.h"

namespace fovea::train {

struct ParamGroup {
  std::vector<std::string> names;
  std::vector<Tensor> params;
  double weight_decay = 0.0;
  double lr_scale = 1.0;
};

// The trainable parameters of `model`, grouped by (weight decay, lr scale).
std::vector<ParamGroup> make_param_groups(const Module& model, const TrainingSection& config);

class Optimizer {
 public:
  explicit Optimizer(std::vector<ParamGroup> groups) : groups_(std::move(groups)) {}
  virtual ~Optimizer() = default;

  // One update at learning rate `lr` (times each group's lr_scale). Every gradient is
  // first multiplied by grad_scale: the loss scaler's 1/scale and the clipping factor.
  // Parameters without a gradient are left alone.
  virtual void step(double lr, double grad_scale = 1.0) = 0;
  void zero_grad();
  // {sum of squares, inf/nan count} of all gradients together, an f64 [2] tensor on their
  // device; nothing is read back (the trainer reads it with the step's other readings).
  Tensor grad_summary() const;
  // The L2 norm of all gradients together (as torch.nn.utils.clip_grad_norm_ computes it).
  // Reads the device: one host synchronisation.
  double grad_norm() const;
  int64_t steps() const { return steps_; }

  // The optimizer's state for checkpoints: "<group>.<index>.<buffer>" plus "steps".
  virtual TensorMap state_dict() const;
  virtual void load_state_dict(const TensorMap& state);
  const std::vector<ParamGroup>& groups() const { return groups_; }

 protected:
  // Per-parameter state buffers, f32 on the parameter's device, created zeroed on first use.
  Tensor& buffer(size_t group, size_t index, const std::string& name);
  // The f32 master copy of a 16-bit (CUDA) parameter, "<group>.<index>.master", taken from
  // the parameter on first use; the update runs on it and rewrites the parameter from it.
  // Undefined for f32 parameters, which are their own master.
  Tensor master_copy(size_t group, size_t index);

  std::vector<ParamGroup> groups_;
  int64_t steps_ = 0;
  TensorMap state_;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<ParamGroup> groups, double beta1, double beta2, double eps);
  void step(double lr, double grad_scale) override;

 private:
  double beta1_, beta2_, eps_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, double momentum, bool nesterov);
  void step(double lr, double grad_scale) override;

 private:
  double momentum_;
  bool nesterov_;
};

// The gradient norm from a grad_summary() (read back here) or from its two values: NaN
// when any gradient is inf/nan.
double grad_norm_of(const Tensor& summary);
double grad_norm_of(double sum_of_squares, double non_finite);

// The optimizer training.optimizer names, over make_param_groups(model, config), with its
// settings from the config (as timm's create_optimizer_v2).
std::unique_ptr<Optimizer> create_optimizer(const Module& model, const TrainingSection& config);

}  // namespace fovea::train
