// `fovea bench --model resnet50 --batch 32 --img-size 224 --amp bf16 [--device cuda]`:
// training and inference throughput after warm-up, as timm's benchmark.py measures them.
// With --profile, `--steps` more steps of each run under the per-op profiler
// (engine/profile.h), and its table for each.
#include <omp.h>

#include <chrono>
#include <iostream>

#include "engine/allocator.h"
#include "engine/profile.h"
#include "models/model.h"
#include "tools/commands.h"
#include "train/optimizer.h"

namespace fovea::tools {

namespace {

struct BenchArgs {
  std::string model = "resnet50", amp = "off", device = "cpu";
  int64_t batch = 32, img_size = 0, classes = 1000, steps = 10, warmup = 3;
  bool profile = false;
  int64_t profile_rows = 40;
};

template <typename Step>
double seconds_per_step(int64_t warmup, int64_t steps, Step step) {
  for (int64_t i = 0; i < warmup; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i) step();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         static_cast<double>(steps);
}

// `steps` more steps, profiled; the table they leave.
template <typename Step>
std::string profile_steps(int64_t steps, int64_t rows, Step step) {
  profile::Profiler profiler;
  for (int64_t i = 0; i < steps; ++i) step();
  profiler.stop();
  return profiler.table(steps, rows);
}

void run_bench(const BenchArgs& args) {
  const Device device = Device::parse(args.device);
  const ModelInfo& info = model_info(args.model);
  const int64_t size = args.img_size > 0 ? args.img_size : info.default_img_size;
  ModelPtr model = create_model(args.model, {.num_classes = args.classes, .img_size = size});
  model->to(device);
  const AutocastState precision =
      args.amp == "off" ? AutocastState{} : AutocastState{true, dtype_from_name(args.amp)};
  manual_seed(0);
  const Tensor x = randn({args.batch, size, size, 3}).to(device);
  const Tensor labels = randint(0, args.classes, {args.batch}).to(device);
  Allocator& allocator = allocator_for(device);

  model->eval();
  allocator.reset_peak();
  auto infer_step = [&] {
    NoGradGuard no_grad;
    AutocastGuard autocast(precision);
    sum(model->forward(x)).item();  // item() waits for the device
  };
  const double infer = seconds_per_step(args.warmup, args.steps, infer_step);
  const size_t infer_peak = allocator.stats().peak_bytes;
  const std::string infer_profile =
      args.profile ? profile_steps(args.steps, args.profile_rows, infer_step) : "";

  model->train();
  train::TrainingSection optimizer_config;
  auto optimizer = train::create_optimizer(*model, optimizer_config);
  allocator.reset_peak();
  auto train_step = [&] {
    Tensor loss;
    {
      AutocastGuard autocast(precision);
      loss = cross_entropy(model->forward(x), labels);
    }
    loss.backward();
    {
      const profile::PhaseScope phase(profile::Phase::optimizer);
      optimizer->step(1e-4);
      optimizer->zero_grad();
    }
    loss.item();
  };
  const double step = seconds_per_step(args.warmup, args.steps, train_step);
  const size_t train_peak = allocator.stats().peak_bytes;
  const std::string train_profile =
      args.profile ? profile_steps(args.steps, args.profile_rows, train_step) : "";

  std::cout << fmt::format(
      "{} at {}x{}, batch {}, amp {}, on {} ({} CPU threads)\n"
      "  inference: {:8.1f} img/s  {:7.2f} ms/batch  peak {:.0f} MiB\n"
      "  training:  {:8.1f} img/s  {:7.2f} ms/step   peak {:.0f} MiB\n",
      args.model, size, size, args.batch, args.amp, device.str(), omp_get_max_threads(),
      static_cast<double>(args.batch) / infer, infer * 1e3, infer_peak / 1048576.0,
      static_cast<double>(args.batch) / step, step * 1e3, train_peak / 1048576.0);
  if (args.profile) {
    std::cout << fmt::format("\ninference, {} steps, per op:\n{}\ntraining, {} steps, per op:\n{}",
                             args.steps, infer_profile, args.steps, train_profile);
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Measure training and inference throughput of a model");
  cmd->add_option("--model,-m", args->model, "model name");
  cmd->add_option("--batch,-b", args->batch, "batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--img-size", args->img_size, "input size (default: the model's)");
  cmd->add_option("--amp", args->amp, "off, bf16 or fp16")
      ->check(CLI::IsMember({"off", "bf16", "f16", "fp16"}));
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N");
  cmd->add_option("--classes", args->classes, "classifier outputs")->check(CLI::PositiveNumber);
  cmd->add_option("--steps", args->steps, "timed steps")->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", args->warmup, "untimed steps first");
  cmd->add_flag("--profile", args->profile,
                "then profile --steps more steps of each and print the per-op table");
  cmd->add_option("--profile-rows", args->profile_rows, "rows of the per-op table")
      ->check(CLI::PositiveNumber);
  cmd->callback([args] {
    if (args->amp == "fp16") args->amp = "f16";
    run_bench(*args);
  });
}

}  // namespace fovea::tools
