#include "train/evaluate.h"

#include <chrono>

#include "train/device_batches.h"
#include "train/metrics.h"
#include "train/progress.h"

namespace fovea::train {

EvaluationRun evaluate(Model& model, data::Loader& loader,
                       const std::vector<std::string>& class_names, Device device,
                       AutocastState precision, const std::string& label, bool quiet) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  MetricsAccumulator accumulator(static_cast<int64_t>(class_names.size()), class_names);
  double loss_sum = 0.0;
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<ProgressBar> bar;
  if (!quiet)
    bar = std::make_unique<ProgressBar>(loader.batches_per_epoch(), label,
                                        ProgressOptions{.unit = "batch"});
  loader.start_epoch(0);
  int64_t done = 0;
  DeviceBatches batches_on_device(loader, device);
  while (auto batch = batches_on_device.next()) {
    Tensor logits;
    {
      AutocastGuard autocast(precision);
      logits = model.forward(batch->images);
    }
    logits = logits.to(DType::f32);
    const Tensor& labels = batch->labels;
    loss_sum += cross_entropy(logits, labels, {.reduction = Reduction::sum}).item();
    accumulator.add_logits(logits, labels);
    if (bar) bar->update(++done);
  }
  if (bar) bar->finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.train(was_training);
  EvaluationRun run;
  const auto samples = static_cast<double>(accumulator.num_samples());
  run.result.loss = samples > 0 ? loss_sum / samples : kNotMeasured;
  run.result.classification = accumulator.compute();
  run.images_per_second = seconds > 0 ? samples / seconds : 0.0;
  run.probabilities = accumulator.probabilities();
  run.labels = accumulator.labels();
  return run;
}

}  // namespace fovea::train
