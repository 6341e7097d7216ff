// `fovea train --config configs/convnext_tiny.yaml [--set key=value ...]`
// `fovea train --resume outputs/convnext_tiny`
// `fovea train --help-config`: every config key with its default, range and help
#include <filesystem>
#include <iostream>

#include "tools/commands.h"
#include "train/trainer.h"

namespace fovea::tools {

namespace {

struct TrainArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string resume;
  std::string amp;
  std::string device;
  bool quiet = false;
  bool help_config = false;
  int64_t profile_steps = 0;
};

void print_outcome(const train::RunSummary& s, const std::string& out_dir) {
  auto line = [](const char* split, const std::optional<train::EvaluationResult>& r) {
    if (!r || !r->classification) return;
    std::cout << fmt::format("{:<11} accuracy {:.4f}  macro-F1 {:.4f}  loss {:.4f}\n", split,
                             r->classification->accuracy, r->classification->macro_f1, r->loss);
  };
  std::cout << fmt::format("\n{}: {} epochs, best epoch {} ({} {:.4f}){}\n", s.model_name,
                           s.epochs_run, s.best_epoch, s.monitor, s.best_monitor_value,
                           s.stopped_early ? ", stopped early" : "");
  line("validation", s.validation);
  line("test", s.test);
  std::cout << fmt::format(
      "outputs in {}: best_model.safetensors, config.yaml, metrics.json, "
      "history.csv, confusion_matrix.png, curves.png\n",
      out_dir);
}

void run_train(const TrainArgs& args) {
  if (args.help_config) {
    std::cout << train::config_help();
    return;
  }
  train::TrainConfig config;
  if (!args.resume.empty()) {
    const std::filesystem::path saved = std::filesystem::path(args.resume) / "config.yaml";
    FOVEA_CHECK(std::filesystem::exists(saved), "--resume {}: no config.yaml there", args.resume);
    config = train::load_config(saved.string());
    config.output.dir = args.resume;
  } else {
    FOVEA_CHECK(!args.config.empty(), "fovea train needs --config FILE (or --resume OUTDIR)");
    config = train::load_config(args.config);
  }
  for (const std::string& assignment : args.overrides) train::apply_override(config, assignment);
  if (!args.amp.empty()) train::apply_override(config, "training.amp=" + args.amp);
  if (!args.device.empty()) train::apply_override(config, "training.device=" + args.device);
  train::Trainer trainer(
      config,
      {.resume = !args.resume.empty(), .quiet = args.quiet, .profile_steps = args.profile_steps});
  const train::RunSummary summary = trainer.run();
  if (trainer.interrupted()) {
    set_exit_code(130);
    return;
  }
  print_outcome(summary, trainer.output_dir());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model from a YAML or INI config");
  cmd->add_option("--config,-c", args->config, "YAML (or seed-style INI) training config");
  cmd->add_option("--set", args->overrides, "override a key, e.g. --set training.lr=1e-3")
      ->take_all();
  cmd->add_option("--resume", args->resume, "continue the run saved in this output folder");
  cmd->add_option("--amp", args->amp, "training.amp: " + train::choice_list<train::Amp>());
  cmd->add_option("--device", args->device, "training.device: auto, cpu, cuda or cuda:N");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress bars");
  cmd->add_option("--profile-steps", args->profile_steps,
                  "profile this many optimizer steps after the first and print the per-op "
                  "table (also written to <run>/profile.txt)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--help-config", args->help_config,
                "list every config key with its default, range or choices, and help; then exit");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace fovea::tools
