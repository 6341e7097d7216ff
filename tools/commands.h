#pragma once
// The `fovea` subcommands. Each lives in tools/<name>.cpp and adds itself to the CLI11
// app; tools/main.cpp lists them.
#include <CLI/CLI.hpp>

namespace fovea::tools {

void add_info_command(CLI::App& app);      // build configuration and a small demo
void add_models_command(CLI::App& app);    // the model registry
void add_pack_command(CLI::App& app);      // ImageFolder -> packed cache
void add_train_command(CLI::App& app);     // train one config
void add_eval_command(CLI::App& app);      // metrics of trained weights on a split
void add_predict_command(CLI::App& app);   // top-k classes of image files
void add_ensemble_command(CLI::App& app);  // averaged probabilities of several runs
void add_ablate_command(CLI::App& app);    // a grid of runs and its comparison table
void add_bench_command(CLI::App& app);     // train and inference throughput

// The process exit code a command asks for (130 after an interrupted training run).
void set_exit_code(int code);
int exit_code();

}  // namespace fovea::tools
