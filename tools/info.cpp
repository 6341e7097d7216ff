#include "tools/commands.h"

#include <omp.h>

#include <iostream>

#include "engine/cuda_backend.h"
#include "engine/engine.h"

namespace fovea::tools {

namespace {

void print_info() {
  std::cout << "fovea " << FOVEA_VERSION << "\n\n";
  std::cout << "CPU backend: " << omp_get_max_threads() << " OpenMP threads\n";
  if (cuda::built()) {
    std::cout << "CUDA backend: built, " << cuda_device_count() << " device(s) visible\n";
  } else {
    std::cout << "CUDA backend: not built (FOVEA_CUDA=OFF)\n";
  }
  std::cout << "\nA small demonstration: y = gelu(x * w).sum(), dy/dw by reverse-mode autograd\n";
  manual_seed(0);
  Tensor x = randn({2, 3});
  Tensor w = randn({3}, {.requires_grad = true});
  Tensor y = sum(gelu(x * w));
  y.backward();
  std::cout << "x = " << x << "\nw = " << w << "\ny = " << y << "\ndy/dw = " << w.grad() << "\n";
}

}  // namespace

void add_info_command(CLI::App& app) {
  CLI::App* info =
      app.add_subcommand("info", "Show the build configuration and a small autograd demo");
  info->callback(print_info);
}

}  // namespace fovea::tools
