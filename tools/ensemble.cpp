// `fovea ensemble --runs outputs/densenet121 outputs/efficientnet_b2 ... [--data DIR]`:
// each run's metrics beside those of its averaged probabilities, as seed 002 reports its
// ensembles.
#include <iostream>

#include "tools/commands.h"
#include "tools/run_files.h"
#include "train/evaluate.h"
#include "train/metrics.h"

namespace fovea::tools {

namespace {

struct EnsembleArgs {
  std::vector<std::string> runs;
  std::string data, split = "test";
  bool quiet = false;
};

void print_row(const std::string& name, const train::ClassificationMetrics& m) {
  std::cout << fmt::format("{:<28} {:>9.4f} {:>9.4f} {:>9.4f}\n", name, m.accuracy, m.macro_f1,
                           m.macro_auc);
}

void run_ensemble(const EnsembleArgs& args) {
  FOVEA_CHECK(args.runs.size() >= 2, "ensemble: give at least two runs, got {}", args.runs.size());
  std::vector<float> summed;
  std::vector<int64_t> labels;
  std::vector<std::string> classes;
  std::cout << fmt::format("{:<28} {:>9} {:>9} {:>9}\n", "model", "accuracy", "macro-F1", "AUC");
  for (const std::string& path : args.runs) {
    OpenedRun run = open_run(path, "", args.data);
    data::Loader* loader = args.split == "val" ? run.data.val_loader.get() : run.data.test_loader.get();
    FOVEA_CHECK(loader != nullptr, "ensemble: {} has no '{}' split", path, args.split);
    const train::EvaluationRun result =
        train::evaluate(*run.model, *loader, run.data.class_names, Device::cpu(), {}, path, args.quiet);
    if (summed.empty()) {
      summed.assign(result.probabilities.size(), 0.0f);
      labels = result.labels;
      classes = run.data.class_names;
    }
    FOVEA_CHECK(result.labels == labels && run.data.class_names == classes,
                "ensemble: {} was evaluated on other samples or classes than {}", path, args.runs[0]);
    for (size_t i = 0; i < summed.size(); ++i) summed[i] += result.probabilities[i];
    print_row(run.config.model.name, *result.result.classification);
  }
  for (float& p : summed) p /= static_cast<float>(args.runs.size());
  const train::ClassificationMetrics ensemble = train::compute_metrics(
      summed, labels, static_cast<int64_t>(classes.size()), classes);
  print_row(fmt::format("ensemble of {}", args.runs.size()), ensemble);
  std::cout << "\n" << train::classification_report(ensemble);
}

}  // namespace

void add_ensemble_command(CLI::App& app) {
  auto args = std::make_shared<EnsembleArgs>();
  CLI::App* cmd = app.add_subcommand("ensemble", "Evaluate the averaged probabilities of several runs");
  cmd->add_option("--runs", args->runs, "run folders (each with config.yaml and best_model)")
      ->required();
  cmd->add_option("--data", args->data, "'default' (Fashion-MNIST) or an ImageFolder root");
  cmd->add_option("--split", args->split, "val or test")->check(CLI::IsMember({"val", "test"}));
  cmd->add_flag("--quiet,-q", args->quiet, "no progress bars");
  cmd->callback([args] { run_ensemble(*args); });
}

}  // namespace fovea::tools
