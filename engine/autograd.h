#pragma once
// Reverse-mode automatic differentiation.
//
// Every differentiable op, when grad mode is on and one of its inputs requires grad,
// records a Node. The node keeps what the backward needs (saved tensors, shapes) and one
// Edge per input pointing at the node that produced that input. Leaves that require
// grad get an AccumulateGrad node that adds into their .grad(). backward() walks the
// graph from the root in reverse creation order, so that every node runs once, after
// all the gradients flowing into it have been summed.
#include <functional>
#include <memory>
#include <vector>

#include "engine/tensor.h"

namespace fovea {

using TensorList = std::vector<Tensor>;

// ---- grad mode (thread-local) ----
struct GradMode {
  static bool enabled();
  static void set_enabled(bool enabled);
};

// While alive, ops record no graph (like torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// While alive, ops record the graph even inside a NoGradGuard (used by checkpointing).
class EnableGradGuard {
 public:
  EnableGradGuard() : previous_(GradMode::enabled()) { GradMode::set_enabled(true); }
  ~EnableGradGuard() { GradMode::set_enabled(previous_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool previous_;
};

// ---- the graph ----
struct Edge {
  std::shared_ptr<Node> node;  // null when the input needs no gradient
  int output_nr = 0;           // which output of `node` the input was
};

struct TensorMeta {
  Shape shape;
  DType dtype = DType::f32;
  Device device;
};

class Node {
 public:
  virtual ~Node() = default;
  virtual const char* name() const = 0;
  // Gradients for the forward's outputs in, gradients for its inputs out (one per
  // next_edge; an undefined Tensor means "no gradient").
  virtual TensorList apply(TensorList&& output_grads) = 0;
  // Drops saved tensors once the graph has been used (backward without retain_graph).
  virtual void release() {}

  std::vector<Edge> next_edges;         // one per forward input
  std::vector<TensorMeta> input_metas;  // what each input gradient must look like
  std::vector<TensorMeta> output_metas;  // to make zero gradients for unused outputs
  // Per output: non-leaf tensors that asked for retain_grad().
  std::vector<std::vector<std::weak_ptr<TensorImpl>>> retained;
  uint64_t sequence_nr = 0;  // creation order; later nodes run first in backward
};

// What a backward function sees.
class BackwardContext {
 public:
  BackwardContext(const TensorList& grads, const std::vector<bool>& needs)
      : grads_(grads), needs_(needs) {}
  // Gradient for forward output `i`; zeros if nothing flowed into that output.
  const Tensor& grad(size_t output = 0) const { return grads_.at(output); }
  // Whether forward input `i` wants a gradient; skip the work when it does not.
  bool needs_grad(size_t input) const { return needs_.at(input); }

 private:
  const TensorList& grads_;
  const std::vector<bool>& needs_;
};

using BackwardFn = std::function<TensorList(const BackwardContext&)>;

// True when grad mode is on and some defined input requires grad: the op must record.
bool should_record(const TensorList& inputs);

// Connects `outputs` (fresh tensors made by the op) to a new node named `name` whose
// backward is `backward`. Does nothing unless should_record(inputs). Inputs may contain
// undefined tensors (an absent bias); they get no gradient.
void record_op(const char* name, const TensorList& inputs, const TensorList& outputs,
               BackwardFn backward);

// Runs backward from `roots` with the given output gradients (used by Tensor::backward
// and, re-entrantly, by checkpoint()).
void run_backward(const TensorList& roots, const TensorList& root_grads, bool retain_graph);

// The edge that a gradient for `tensor` must follow (AccumulateGrad for leaves).
Edge gradient_edge(const Tensor& tensor);

}  // namespace fovea
