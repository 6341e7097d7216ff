// `fovea eval --weights outputs/run/best_model.safetensors [--data default|DIR] [--split test]`
#include <filesystem>
#include <iostream>

#include "tools/commands.h"
#include "tools/run_files.h"
#include "train/evaluate.h"
#include "train/plot.h"

namespace fovea::tools {

namespace {

struct EvalArgs {
  std::string weights, config, data, split = "test", out;
  bool quiet = false;
};

void run_eval(const EvalArgs& args) {
  OpenedRun run = open_run(args.weights, args.config, args.data);
  data::Loader* loader = args.split == "val" ? run.data.val_loader.get() : run.data.test_loader.get();
  FOVEA_CHECK(loader != nullptr, "eval: the data has no '{}' split", args.split);
  const train::EvaluationRun result =
      train::evaluate(*run.model, *loader, run.data.class_names, Device::cpu(), {}, "evaluate", args.quiet);
  const train::ClassificationMetrics& m = *result.result.classification;
  std::cout << train::classification_report(m);
  std::cout << fmt::format("loss {:.4f}, {:.0f} images/s\n", result.result.loss, result.images_per_second);
  const std::filesystem::path out = args.out.empty()
                                        ? std::filesystem::path(run.weights_path).parent_path()
                                        : std::filesystem::path(args.out);
  std::filesystem::create_directories(out);
  train::RunSummary summary;
  summary.config_name = run.config.output.run_name;
  summary.model_name = run.config.model.name;
  summary.total_parameters = run.model->num_parameters();
  summary.eval_images_per_second = result.images_per_second;
  (args.split == "val" ? summary.validation : summary.test) = result.result;
  const std::string stem = "eval_" + args.split;
  train::write_metrics_json(out / (stem + ".json"), summary);
  train::plot_confusion_matrix(out / (stem + "_confusion_matrix.png"), m.confusion,
                               run.data.class_names,
                               fmt::format("{} — {} confusion matrix", run.config.model.name, args.split));
  std::cout << fmt::format("wrote {} and {}\n", (out / (stem + ".json")).string(),
                           (out / (stem + "_confusion_matrix.png")).string());
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate trained weights: metrics and confusion matrix");
  cmd->add_option("--weights,-w", args->weights, "weights file or run folder")->required();
  cmd->add_option("--config", args->config, "config.yaml (default: next to the weights)");
  cmd->add_option("--data", args->data, "'default' (Fashion-MNIST) or an ImageFolder root");
  cmd->add_option("--split", args->split, "val or test")->check(CLI::IsMember({"val", "test"}));
  cmd->add_option("--out", args->out, "folder for the metrics (default: the weights' folder)");
  cmd->add_flag("--quiet,-q", args->quiet, "no progress bar");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace fovea::tools
