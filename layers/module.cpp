#include "layers/module.h"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "engine/timeline.h"

namespace fovea {

namespace {
thread_local ModuleObserver* tls_observer = nullptr;
}

ObserveModules::ObserveModules(ModuleObserver* observer) : previous_(tls_observer) {
  tls_observer = observer;
}
ObserveModules::~ObserveModules() {
  tls_observer = previous_;
}

Tensor Module::operator()(const Tensor& x) {
  const TimelineRange range(type_name_.c_str());
  if (tls_observer == nullptr) return forward(x);
  ModuleObserver* observer = tls_observer;
  observer->before(*this, x);
  Tensor out = forward(x);
  observer->after(*this, out);
  return out;
}

Tensor Module::forward(const Tensor&) {
  fail("{} has no single-tensor forward(); call its own forward method", type_name_);
}

bool Module::name_taken(const std::string& name) const {
  auto has = [&](const auto& list, auto get_name) {
    return std::any_of(list.begin(), list.end(),
                       [&](const auto& e) { return get_name(e) == name; });
  };
  if (has(parameters_, [](const Slot& s) { return s.name; }) ||
      has(buffers_, [](const Slot& s) { return s.name; }) ||
      has(children_, [](const auto& c) { return c.first; })) {
    return true;
  }
  // An inline child's names are this module's names too.
  return std::any_of(children_.begin(), children_.end(),
                     [&](const auto& c) { return c.first.empty() && c.second->name_taken(name); });
}

void Module::check_new_name(const std::string& name) const {
  FOVEA_CHECK(!name.empty() && name.find('.') == std::string::npos,
              "{}: invalid member name '{}' (non-empty, without dots)", type_name_, name);
  FOVEA_CHECK(!name_taken(name), "{}: the name '{}' is registered twice", type_name_, name);
}

void Module::register_inline(ModulePtr child) {
  FOVEA_CHECK(child != nullptr, "{}: register_inline needs a module", type_name_);
  std::vector<std::string> names;
  for (const Slot& s : child->parameters_) names.push_back(s.name);
  for (const Slot& s : child->buffers_) names.push_back(s.name);
  for (const auto& [name, grandchild] : child->children_) names.push_back(name);
  for (const std::string& name : names) {
    FOVEA_CHECK(name.empty() || !name_taken(name),
                "{}: the name '{}' of the inline {} is registered twice", type_name_, name,
                child->type_name());
  }
  children_.emplace_back("", std::move(child));
}

void Module::replace_module(const std::string& name, ModulePtr child) {
  auto it = std::find_if(children_.begin(), children_.end(),
                         [&](const auto& entry) { return entry.first == name; });
  if (it == children_.end()) {
    if (child) register_module(name, std::move(child));
  } else if (child) {
    it->second = std::move(child);
  } else {
    children_.erase(it);
  }
}

void Module::register_parameter(const std::string& name, Tensor* slot, Tensor value) {
  check_new_name(name);
  if (value.defined()) {
    FOVEA_CHECK(is_floating(value.dtype()), "{}: parameter '{}' must be floating, got {}",
                type_name_, name, dtype_name(value.dtype()));
    value = value.detach();
    value.requires_grad_(true);
  }
  *slot = value;
  parameters_.push_back({name, slot, true});
}

void Module::register_buffer(const std::string& name, Tensor* slot, Tensor value, bool persistent) {
  check_new_name(name);
  *slot = value.defined() ? value.detach() : value;
  buffers_.push_back({name, slot, persistent});
}

// Calls visit(dotted_name, slot) for parameters and/or buffers of the whole tree.
template <typename Visit>
void Module::visit_slots(const std::string& prefix, bool parameters, bool buffers,
                         Visit&& visit) const {
  if (parameters) {
    for (const Slot& s : parameters_) {
      if (s.tensor->defined()) visit(prefix + s.name, s);
    }
  }
  if (buffers) {
    for (const Slot& s : buffers_) {
      if (s.tensor->defined()) visit(prefix + s.name, s);
    }
  }
  for (const auto& [name, child] : children_) {
    child->visit_slots(child_prefix(prefix, name), parameters, buffers, visit);
  }
}

std::vector<Module::NamedTensor> Module::named_parameters(const std::string& pattern) const {
  std::vector<NamedTensor> out;
  visit_slots("", true, false, [&](const std::string& name, const Slot& s) {
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) out.emplace_back(name, *s.tensor);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, tensor] : named_parameters()) out.push_back(tensor);
  return out;
}

std::vector<Module::NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  visit_slots("", false, true,
              [&](const std::string& name, const Slot& s) { out.emplace_back(name, *s.tensor); });
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (const auto& [name, child] : children_) {
    for (auto& [sub_name, module] : child->named_modules()) {
      if (name.empty()) {
        // An inline child is not listed itself; its children are listed as this module's.
        if (!sub_name.empty()) out.emplace_back(sub_name, module);
      } else {
        out.emplace_back(sub_name.empty() ? name : name + "." + sub_name, module);
      }
    }
  }
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t total = 0;
  for (const auto& [name, p] : named_parameters()) {
    if (!trainable_only || p.requires_grad()) total += p.numel();
  }
  return total;
}

TensorMap Module::state_dict() const {
  TensorMap out;
  visit_slots("", true, true, [&](const std::string& name, const Slot& s) {
    if (s.persistent) out.emplace(name, s.tensor->detach());
  });
  return out;
}

Module::LoadResult Module::load_state_dict(const TensorMap& state, bool strict) {
  LoadResult result;
  std::set<std::string> seen;
  std::vector<std::pair<Tensor*, const Tensor*>> to_copy;
  visit_slots("", true, true, [&](const std::string& name, const Slot& s) {
    if (!s.persistent) return;
    auto it = state.find(name);
    if (it == state.end()) {
      result.missing.push_back(name);
      return;
    }
    seen.insert(name);
    if (it->second.shape() != s.tensor->shape()) {
      result.mismatched.push_back(fmt::format("{}: file {} vs module {}", name,
                                              shape_str(it->second.shape()),
                                              shape_str(s.tensor->shape())));
      return;
    }
    to_copy.emplace_back(s.tensor, &it->second);
  });
  for (const auto& [name, tensor] : state) {
    if (!seen.count(name)) result.unexpected.push_back(name);
  }
  const bool clean =
      result.missing.empty() && result.unexpected.empty() && result.mismatched.empty();
  if (strict && !clean) {
    fail(
        "load_state_dict into {}: {} missing key(s) [{}], {} unexpected key(s) [{}], {} "
        "mis-shaped key(s) [{}]",
        type_name_, result.missing.size(), fmt::join(result.missing, ", "),
        result.unexpected.size(), fmt::join(result.unexpected, ", "), result.mismatched.size(),
        fmt::join(result.mismatched, "; "));
  }
  // Copy in place, so that anything holding these tensors (an optimizer) sees the values.
  NoGradGuard no_grad;
  for (auto& [slot, source] : to_copy) slot->copy_(*source);
  return result;
}

void Module::train(bool training) {
  training_ = training;
  for (auto& [name, child] : children_) child->train(training);
}

void Module::set_grad_checkpointing(bool enabled) {
  grad_checkpointing_ = enabled;
  for (auto& [name, child] : children_) child->set_grad_checkpointing(enabled);
}

namespace {
// Replaces a registered tensor by a converted copy, keeping requires_grad.
void replace(Tensor* slot, Tensor converted) {
  const bool trainable = slot->requires_grad();
  converted = converted.detach();
  if (trainable) converted.requires_grad_(true);
  *slot = converted;
}
}  // namespace

void Module::to(Device device) {
  NoGradGuard no_grad;
  visit_slots("", true, true, [&](const std::string&, const Slot& s) {
    if (s.tensor->device() != device) replace(s.tensor, s.tensor->to(device));
  });
}

void Module::to(DType dtype) {
  FOVEA_CHECK(is_floating(dtype), "{}.to({}): modules convert to floating dtypes only", type_name_,
              dtype_name(dtype));
  NoGradGuard no_grad;
  visit_slots("", true, true, [&](const std::string&, const Slot& s) {
    if (is_floating(s.tensor->dtype()) && s.tensor->dtype() != dtype) {
      replace(s.tensor, s.tensor->to(dtype));
    }
  });
}

void Module::zero_grad() {
  visit_slots("", true, false,
              [](const std::string&, const Slot& s) { s.tensor->set_grad(Tensor()); });
}

void Module::set_requires_grad(bool enabled, const std::string& pattern) {
  visit_slots("", true, false, [&](const std::string& name, const Slot& s) {
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) s.tensor->requires_grad_(enabled);
  });
}

}  // namespace fovea
