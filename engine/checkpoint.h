#pragma once
// Gradient checkpointing: run a segment of the network without keeping its activations,
// and recompute them during backward. Memory drops to the segment's inputs and output at
// the cost of one more forward of the segment (Chen et al., 2016).
#include <functional>

#include "engine/autograd.h"

namespace fovea {

using Segment = std::function<Tensor(const TensorList& inputs)>;

// Returns segment(inputs). When grad mode is on, the segment runs without a graph and is
// replayed in backward with the same RNG and autocast state, so dropout masks match.
// Parameters used inside the segment receive their gradients during that replay. A
// segment none of whose inputs requires grad keeps its graph (backward could not reach
// the replay through its inputs), as if it were not checkpointed.
Tensor checkpoint(const Segment& segment, const TensorList& inputs);

}  // namespace fovea
