// The `fovea` command. Each subcommand lives in tools/<name>.cpp and adds itself to the
// CLI11 app here (tools/commands.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "kernels/error.h"
#include "tools/commands.h"

namespace fovea::tools {
namespace {
int g_exit_code = 0;
}
void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

// libgomp reads OMP_WAIT_POLICY once, when it loads, before main(). Its default lets a
// thread that reaches a barrier spin; when the cores are shared (the data loader's workers,
// other processes) the spinning thread steals the time of the one that still has work.
// Measured on a loaded 2-core machine: a ResNet-18 training step at 28x28, batch 64, took
// 6.3 s with the default and 1.1 s with PASSIVE. So fovea starts itself again with PASSIVE
// unless the user chose a policy.
void prefer_passive_openmp_waits(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // only returns on failure: go on with the default
}

}  // namespace fovea::tools

int main(int argc, char** argv) {
  using namespace fovea::tools;
  prefer_passive_openmp_waits(argv);
  CLI::App app{"fovea: train and evaluate image classifiers with a from-scratch C++/CUDA engine"};
  app.set_version_flag("--version", std::string("fovea ") + FOVEA_VERSION);
  app.require_subcommand(0, 1);
  add_train_command(app);
  add_eval_command(app);
  add_predict_command(app);
  add_ensemble_command(app);
  add_ablate_command(app);
  add_bench_command(app);
  add_models_command(app);
  add_pack_command(app);
  add_info_command(app);
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) std::cout << app.help();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const fovea::Error& e) {
    std::cerr << "fovea: error: " << e.what() << "\n";
    return 1;
  }
  return exit_code();
}
