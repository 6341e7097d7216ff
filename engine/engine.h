#pragma once
// Everything the engine offers, in one include: tensors, autograd, autocast, RNG,
// safetensors I/O and every differentiable op.
#include "engine/allocator.h"
#include "engine/autocast.h"
#include "engine/autograd.h"
#include "engine/checkpoint.h"
#include "engine/ops/activation.h"
#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "engine/ops/reduction.h"
#include "engine/rng.h"
#include "engine/safetensors.h"
#include "engine/tensor.h"
