#pragma once
// Launch checks for .cu files. nvcc cannot compile fmt (engine/error.h), so the launchers
// call this host function, compiled by the C++ compiler, after every launch: it throws
// fovea::Error naming the kernel when the launch (or an earlier asynchronous fault) failed.
#ifdef FOVEA_HAS_CUDA
namespace fovea::kernels::cuda {

void check_kernel_launch(const char* kernel);

// Throws fovea::Error with `message` (for argument errors found inside a launcher).
[[noreturn]] void launcher_error(const char* message);

}  // namespace fovea::kernels::cuda
#endif
