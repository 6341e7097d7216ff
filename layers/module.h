#pragma once
// Module: the unit networks are built from, as torch.nn.Module. A module owns named
// parameters and buffers and named child modules; walking that tree gives the dotted
// state_dict keys ("stages.1.blocks.0.conv_dw.weight") that timm checkpoints use, so a
// timm state_dict loads with no renaming.
//
// Parameters and buffers live in member Tensors of the concrete module, registered by
// pointer. That way to(device) or a dtype change can swap a member's storage and the
// module's own code keeps reading `weight_` directly. Modules are therefore neither
// copyable nor movable; they live behind std::shared_ptr.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"

namespace fovea {

class Module;
using ModulePtr = std::shared_ptr<Module>;

// Sees every module call made through Module::operator() on this thread while an
// ObserveModules guard is alive: `fovea summary` records output shapes and MACs with it.
class ModuleObserver {
 public:
  virtual ~ModuleObserver() = default;
  virtual void before(Module& module, const Tensor& input) = 0;
  virtual void after(Module& module, const Tensor& output) = 0;
};

class ObserveModules {
 public:
  explicit ObserveModules(ModuleObserver* observer);
  ~ObserveModules();
  ObserveModules(const ObserveModules&) = delete;
  ObserveModules& operator=(const ObserveModules&) = delete;

 private:
  ModuleObserver* previous_;
};

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The single-tensor forward most modules have. Modules with other signatures (attention
  // returning maps, models with forward_features) add their own methods.
  virtual Tensor forward(const Tensor& x);
  // Calls forward() and lets an observer watch; parents call children this way.
  Tensor operator()(const Tensor& x);

  const std::string& type_name() const { return type_name_; }

  // ---- the tree ----
  using NamedTensor = std::pair<std::string, Tensor>;
  // Parameters whose dotted name matches the glob `pattern` (fnmatch: '*' matches dots
  // too), in registration order, children after their parent's own.
  std::vector<NamedTensor> named_parameters(const std::string& pattern = "*") const;
  std::vector<Tensor> parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  std::vector<std::pair<std::string, Module*>> named_modules();  // "" is this module
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  int64_t num_parameters(bool trainable_only = false) const;

  // ---- weights ----
  // Parameters and persistent buffers, by dotted name (tensors share storage).
  TensorMap state_dict() const;
  struct LoadResult {
    std::vector<std::string> missing;     // in the module, not in the file
    std::vector<std::string> unexpected;  // in the file, not in the module
    std::vector<std::string> mismatched;  // "name: file [a, b] vs module [c, d]"
  };
  // Copies matching tensors in (converting dtype and device). With strict, any missing,
  // unexpected or mis-shaped key is an error that lists them all; without, they are
  // returned and the rest is loaded.
  LoadResult load_state_dict(const TensorMap& state, bool strict = true);

  // ---- modes and placement ----
  void train(bool training = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void to(Device device);
  void to(DType dtype);  // floating parameters and buffers only
  // Gradient checkpointing for the whole tree, as train() sets the mode: modules that run
  // a sequence of blocks then recompute each block in backward (checkpoint_seq in
  // layers/container.h) instead of keeping its activations.
  void set_grad_checkpointing(bool enabled = true);
  bool grad_checkpointing() const { return grad_checkpointing_; }
  void zero_grad();
  // requires_grad for every parameter matching `pattern` (freezing and unfreezing).
  void set_requires_grad(bool enabled, const std::string& pattern = "*");

 protected:
  // Registration, called from constructors. The tensor is stored in `*slot`, which must
  // be a member of this module. Parameters become leaves that require grad.
  void register_parameter(const std::string& name, Tensor* slot, Tensor value);
  void register_buffer(const std::string& name, Tensor* slot, Tensor value, bool persistent = true);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> child) {
    check_new_name(name);
    children_.emplace_back(name, child);
    return child;
  }
  // Registers `child` without a name of its own: its parameters, buffers and children
  // appear directly under this module's names. timm's ResNet, EfficientNet and ViT keep
  // their classifier's parts (global_pool, fc) at the top level this way.
  void register_inline(ModulePtr child);
  // Puts `child` under `name`, replacing whatever was there (a classifier being reset);
  // a null child removes the entry.
  void replace_module(const std::string& name, ModulePtr child);

 private:
  struct Slot {
    std::string name;
    Tensor* tensor;
    bool persistent;
  };
  void check_new_name(const std::string& name) const;
  bool name_taken(const std::string& name) const;
  static std::string child_prefix(const std::string& prefix, const std::string& name) {
    return name.empty() ? prefix : prefix + name + ".";  // an inline child adds no name
  }
  template <typename Visit>
  void visit_slots(const std::string& prefix, bool parameters, bool buffers, Visit&& visit) const;

  std::string type_name_;
  bool training_ = true;
  bool grad_checkpointing_ = false;
  std::vector<Slot> parameters_;
  std::vector<Slot> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace fovea
