#include "engine/autograd.h"

#include <atomic>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/profile.h"
#include "engine/timeline.h"

namespace fovea {

namespace {

thread_local bool tls_grad_enabled = true;
std::atomic<uint64_t> next_sequence_nr{0};

// A node built by record_op: the backward is a closure over what the forward saved.
class FunctionNode final : public Node {
 public:
  FunctionNode(const char* name, BackwardFn backward)
      : name_(name), backward_(std::move(backward)) {}
  const char* name() const override { return name_; }

  TensorList apply(TensorList&& output_grads) override {
    FOVEA_CHECK(backward_,
                "autograd: the graph through '{}' was freed by an earlier backward(); pass "
                "retain_graph=true to the first backward() to go through it twice",
                name_);
    std::vector<bool> needs(next_edges.size());
    for (size_t i = 0; i < next_edges.size(); ++i) needs[i] = next_edges[i].node != nullptr;
    return backward_(BackwardContext(output_grads, needs));
  }

  void release() override { backward_ = nullptr; }

 private:
  const char* name_;
  BackwardFn backward_;
};

// Adds incoming gradients into a leaf's .grad().
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {
    Tensor view(leaf_);
    output_metas.push_back({view.shape(), view.dtype(), view.device()});
    retained.resize(1);
  }
  const char* name() const override { return "AccumulateGrad"; }

  TensorList apply(TensorList&& output_grads) override {
    Tensor& incoming = output_grads[0];
    if (!incoming.defined()) return {};
    AutogradMeta& meta = leaf_->autograd_meta();
    if (!meta.grad.defined()) {
      // Keep the incoming buffer when nobody else holds it; otherwise copy, so that two
      // leaves never share one gradient buffer (add's backward hands the same tensor
      // to both operands).
      const bool exclusive = incoming.is_contiguous() && incoming.impl_shared().use_count() == 1 &&
                             incoming.storage().use_count() == 1;
      meta.grad = exclusive ? incoming : incoming.clone();
    } else {
      add_(meta.grad, incoming);
    }
    return {};
  }

 private:
  std::shared_ptr<TensorImpl> leaf_;
};

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  AutogradMeta& meta = leaf.impl()->autograd_meta();
  if (auto existing = meta.grad_accumulator.lock()) return existing;
  // The accumulator holds the leaf's impl strongly and the leaf holds the accumulator
  // weakly, so the graph keeps parameters alive but not the other way round.
  auto node = std::make_shared<AccumulateGrad>(leaf.impl_shared());
  node->sequence_nr = next_sequence_nr.fetch_add(1);
  meta.grad_accumulator = node;
  return node;
}

TensorMeta meta_of(const Tensor& t) {
  return {t.shape(), t.dtype(), t.device()};
}

// Sums a gradient into slot `slot` of a node's input buffer.
void accumulate_into(TensorList& buffer, int slot, const Tensor& grad) {
  Tensor& existing = buffer[slot];
  existing = existing.defined() ? add(existing, grad) : grad;
}

// Checks the shape of a gradient a node returned, and casts it to the input's dtype (an
// op that computed in f32 under autocast may hand back an f32 gradient for a bf16 input).
Tensor conform_gradient(const Node& node, size_t input, Tensor grad) {
  const TensorMeta& want = node.input_metas[input];
  if (grad.shape() != want.shape) {
    fail(
        "autograd: backward of '{}' returned a gradient of shape {} for input {}, whose shape "
        "is {}",
        node.name(), shape_str(grad.shape()), input, shape_str(want.shape));
  }
  if (grad.dtype() != want.dtype) grad = grad.to(want.dtype);
  return grad;
}

void deliver_retained_grads(Node& node, const TensorList& grads) {
  for (size_t out = 0; out < node.retained.size(); ++out) {
    if (!grads[out].defined()) continue;
    for (const auto& weak : node.retained[out]) {
      auto impl = weak.lock();
      if (!impl) continue;
      AutogradMeta& meta = impl->autograd_meta();
      meta.grad = meta.grad.defined() ? add(meta.grad, grads[out]) : grads[out].clone();
    }
  }
}

}  // namespace

bool GradMode::enabled() {
  return tls_grad_enabled;
}
void GradMode::set_enabled(bool enabled) {
  tls_grad_enabled = enabled;
}

bool should_record(const TensorList& inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

Edge gradient_edge(const Tensor& tensor) {
  if (!tensor.defined() || !tensor.requires_grad()) return {};
  if (tensor.grad_fn()) return {tensor.grad_fn(), tensor.output_nr()};
  return {grad_accumulator(tensor), 0};
}

void record_op(const char* name, const TensorList& inputs, const TensorList& outputs,
               BackwardFn backward) {
  if (!should_record(inputs)) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(backward));
  node->sequence_nr = next_sequence_nr.fetch_add(1);
  for (const Tensor& input : inputs) {
    node->next_edges.push_back(gradient_edge(input));
    node->input_metas.push_back(input.defined() ? meta_of(input) : TensorMeta{});
  }
  node->retained.resize(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    FOVEA_CHECK(is_floating(outputs[i].dtype()),
                "autograd: op '{}' produced a {} output; only floating outputs carry gradients",
                name, dtype_name(outputs[i].dtype()));
    AutogradMeta& meta = outputs[i].impl()->autograd_meta();
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = static_cast<int>(i);
    node->output_metas.push_back(meta_of(outputs[i]));
  }
}

void run_backward(const TensorList& roots, const TensorList& root_grads, bool retain_graph) {
  NoGradGuard no_grad;
  const profile::PhaseScope phase(profile::Phase::backward);
  std::unordered_map<Node*, TensorList> buffers;
  std::unordered_map<Node*, int> dependencies;

  auto buffer_of = [&](Node* node) -> TensorList& {
    auto it = buffers.find(node);
    if (it == buffers.end())
      it = buffers.emplace(node, TensorList(node->output_metas.size())).first;
    return it->second;
  };

  // Seed the roots and discover the graph that hangs below them.
  std::vector<std::shared_ptr<Node>> stack;
  std::unordered_set<Node*> seen;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Edge edge = gradient_edge(roots[i]);
    FOVEA_CHECK(edge.node, "backward: root {} (shape {}) does not require grad and has no grad_fn",
                i, shape_str(roots[i].shape()));
    FOVEA_CHECK(root_grads[i].shape() == roots[i].shape(),
                "backward: gradient of shape {} given for a root of shape {}",
                shape_str(root_grads[i].shape()), shape_str(roots[i].shape()));
    accumulate_into(buffer_of(edge.node.get()), edge.output_nr, root_grads[i]);
    if (seen.insert(edge.node.get()).second) stack.push_back(edge.node);
  }
  std::vector<std::shared_ptr<Node>> root_nodes = stack;
  while (!stack.empty()) {
    std::shared_ptr<Node> node = std::move(stack.back());
    stack.pop_back();
    for (const Edge& edge : node->next_edges) {
      if (!edge.node) continue;
      ++dependencies[edge.node.get()];
      if (seen.insert(edge.node.get()).second) stack.push_back(edge.node);
    }
  }

  // Run nodes latest-created first among those whose gradients are complete; that order
  // is deterministic, so repeated runs sum gradients in the same order, bit for bit.
  auto later_first = [](const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
    return a->sequence_nr < b->sequence_nr;
  };
  std::priority_queue<std::shared_ptr<Node>, std::vector<std::shared_ptr<Node>>,
                      decltype(later_first)>
      ready(later_first);
  for (const auto& node : root_nodes) {
    if (dependencies[node.get()] == 0) ready.push(node);
  }

  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.top();
    ready.pop();
    TensorList grads = std::move(buffer_of(node.get()));
    buffers.erase(node.get());
    deliver_retained_grads(*node, grads);

    bool any_grad = false;
    for (const Tensor& g : grads) any_grad = any_grad || g.defined();
    TensorList input_grads;
    if (any_grad) {
      for (size_t out = 0; out < grads.size(); ++out) {
        if (!grads[out].defined()) {
          const TensorMeta& m = node->output_metas[out];
          grads[out] = zeros(m.shape, {.dtype = m.dtype, .device = m.device});
        }
      }
      const TimelineRange range(node->name());
      const profile::OpScope scope(node->name(), grads);
      input_grads = node->apply(std::move(grads));
      FOVEA_CHECK(input_grads.empty() || input_grads.size() == node->next_edges.size(),
                  "autograd: backward of '{}' returned {} gradients for {} inputs", node->name(),
                  input_grads.size(), node->next_edges.size());
    }
    if (!retain_graph) node->release();

    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& edge = node->next_edges[i];
      if (!edge.node) continue;
      if (i < input_grads.size() && input_grads[i].defined()) {
        accumulate_into(buffer_of(edge.node.get()), edge.output_nr,
                        conform_gradient(*node, i, std::move(input_grads[i])));
      }
      if (--dependencies[edge.node.get()] == 0) ready.push(edge.node);
    }
  }
}

}  // namespace fovea
