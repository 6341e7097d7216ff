#pragma once
// Whether the engine picks only deterministic algorithms where a library offers a choice
// (today: cuDNN's convolution algorithms, which include ones that accumulate with atomics
// in an order that changes from run to run). Like torch.use_deterministic_algorithms, but
// on by default: two identical runs give bit-identical gradients. Turning it off lets the
// algorithm search also pick the non-deterministic algorithms when they are faster. The
// trainer sets it from the config key `training.deterministic`.
//
// On the CPU there is no switch: every kernel is deterministic, and its results do not
// depend on the OpenMP thread count either. Reductions cut their work into pieces fixed
// by the shape (kernels/cpu/accumulate.h, conv2d_internal.h's sum_over_parts) and GEMMs
// split only C's rows (kernels/cpu/gemm.cpp), so one seed trains to bit-identical weights
// on any number of threads (tests/engine/thread_count_unit.cpp compares 1, 2, 3, 5 and 8;
// tests/train/thread_determinism_train.cpp trains models on 1, 2 and 8).
//
// Global to the process, read when an algorithm is chosen (choices are cached per value).
namespace fovea {

void set_deterministic_algorithms(bool deterministic);
bool deterministic_algorithms();

}  // namespace fovea
