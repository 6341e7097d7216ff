// `fovea ablate --plan configs/ablations/fashion_mnist.yaml [--data DIR] [--set k=v ...]`
#include <iostream>

#include "tools/commands.h"
#include "train/ablation.h"

namespace fovea::tools {

namespace {

struct AblateArgs {
  std::string plan, data;
  std::vector<std::string> overrides;
  bool quiet = false;
};

void run_ablate(const AblateArgs& args) {
  const train::AblationPlan plan = train::load_ablation_plan(args.plan);
  std::cerr << fmt::format("{}: {} runs into {}\n", plan.name, plan.runs.size(), plan.output_dir);
  const auto results = train::run_ablation(
      plan, {.data_root = args.data, .overrides = args.overrides, .quiet = args.quiet});
  std::cout << "\n" << train::ablation_table(plan, results);
  std::cout << fmt::format("\nwrote {0}/ablation.md and {0}/ablation.png\n", plan.output_dir);
  if (results.size() < plan.runs.size()) set_exit_code(130);
}

}  // namespace

void add_ablate_command(CLI::App& app) {
  auto args = std::make_shared<AblateArgs>();
  CLI::App* cmd = app.add_subcommand("ablate", "Run an ablation plan and compare its runs");
  cmd->add_option("--plan,-p", args->plan, "ablation plan YAML")->required();
  cmd->add_option("--data", args->data, "dataset root for every run (ImageNet-100, packed, ...)");
  cmd->add_option("--set", args->overrides, "override a key in every run")->take_all();
  cmd->add_flag("--quiet,-q", args->quiet, "no progress bars");
  cmd->callback([args] { run_ablate(*args); });
}

}  // namespace fovea::tools
