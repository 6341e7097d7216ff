#include "engine/checkpoint.h"

#include <algorithm>

#include "engine/autocast.h"
#include "engine/rng.h"

namespace fovea {

Tensor checkpoint(const Segment& segment, const TensorList& inputs) {
  if (!GradMode::enabled()) return segment(inputs);
  // Backward reaches a checkpoint only through inputs that need a gradient. When none does
  // (the image going into a model's first block), the replay would never run and the
  // segment's parameters would get no gradient, so the segment keeps its graph instead.
  const bool any_input_needs_grad = std::any_of(inputs.begin(), inputs.end(), [](const Tensor& t) {
    return t.defined() && t.requires_grad();
  });
  if (!any_input_needs_grad) return segment(inputs);
  const RngState rng_before = default_generator().state();
  const AutocastState autocast_before = autocast_state();

  Tensor output;
  {
    NoGradGuard no_grad;
    output = segment(inputs);
  }
  // A fresh handle, so that attaching the graph never touches a tensor the segment may
  // have returned unchanged (an input, say).
  output = output.detach();

  TensorList saved_inputs;
  for (const Tensor& input : inputs)
    saved_inputs.push_back(input.defined() ? input.detach() : input);

  record_op("checkpoint", inputs, {output},
            [segment, saved_inputs, rng_before, autocast_before](const BackwardContext& ctx) {
              RngStateGuard same_random_numbers(rng_before);
              AutocastGuard same_precision(autocast_before);
              TensorList replay_inputs;
              for (size_t i = 0; i < saved_inputs.size(); ++i) {
                Tensor replay = saved_inputs[i].defined() ? saved_inputs[i].detach() : Tensor();
                if (replay.defined() && ctx.needs_grad(i)) replay.requires_grad_(true);
                replay_inputs.push_back(replay);
              }
              Tensor replayed;
              {
                EnableGradGuard with_graph;
                replayed = segment(replay_inputs);
              }
              if (replayed.requires_grad()) run_backward({replayed}, {ctx.grad(0)}, false);
              TensorList grads;
              for (size_t i = 0; i < replay_inputs.size(); ++i) {
                grads.push_back(ctx.needs_grad(i) ? replay_inputs[i].grad() : Tensor());
              }
              return grads;
            });
  return output;
}

}  // namespace fovea
