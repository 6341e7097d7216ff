#pragma once
// Containers: ModuleList (children named "0", "1", ... held in order and run by their
// owner), Sequential (a ModuleList that runs its children in order, and may also name
// them), and Identity; and checkpoint_seq, the one way a model recomputes its blocks.
#include <string>

#include "layers/module.h"

namespace fovea {

class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  // Appends `child` under the next index, as nn.ModuleList and nn.Sequential name them.
  template <typename M>
  std::shared_ptr<M> add(std::shared_ptr<M> child) {
    return register_module(std::to_string(children().size()), std::move(child));
  }
  size_t size() const { return children().size(); }
  Module& at(size_t index) const { return *children().at(index).second; }

 protected:
  explicit ModuleList(std::string type_name) : Module(std::move(type_name)) {}
};

class Sequential : public ModuleList {
 public:
  Sequential() : ModuleList("Sequential") {}
  using ModuleList::add;
  // Appends `child` under an explicit name (nn.Sequential(OrderedDict(...))).
  template <typename M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> child) {
    return register_module(name, std::move(child));
  }
  Tensor forward(const Tensor& x) override;

 protected:
  // For a stage that is a Sequential of its blocks under its own type name (RegNet's
  // RegStage, whose blocks b1..bN sit directly in it).
  explicit Sequential(std::string type_name) : ModuleList(std::move(type_name)) {}
};

// Runs the blocks in order, each as one gradient checkpoint (engine/checkpoint.h): a
// block's activations are dropped after forward and recomputed in backward, so only the
// inputs of the blocks stay in memory. timm's checkpoint_seq. Models call it where timm
// does, when grad_checkpointing() is on:
//   x = grad_checkpointing() ? checkpoint_seq(*blocks, x) : (*blocks)(x);
Tensor checkpoint_seq(const ModuleList& blocks, const Tensor& x);

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

}  // namespace fovea
