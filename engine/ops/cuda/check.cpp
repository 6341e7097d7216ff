// The host side of kernels/cuda/check.h: the .cu launchers cannot include fmt, so they
// report through these functions, compiled by the C++ compiler.
#include "kernels/cuda/check.h"

#include "kernels/cuda_check.h"

namespace fovea::kernels::cuda {

void check_kernel_launch(const char* kernel) {
  check_launch(kernel);
}

void launcher_error(const char* message) {
  fail("{}", message);
}

}  // namespace fovea::kernels::cuda
