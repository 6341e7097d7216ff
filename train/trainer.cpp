#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/allocator.h"
#include "engine/determinism.h"
#include "engine/host_sync.h"
#include "train/checkpoint.h"
#include "train/criterion.h"
#include "train/data_setup.h"
#include "train/device_batches.h"
#include "train/early_stopping.h"
#include "train/evaluate.h"
#include "train/freezing.h"
#include "train/loss_scaler.h"
#include "train/plot.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "train/step_profile.h"

namespace fovea::train {

namespace fs = std::filesystem;

namespace {

// SIGINT/SIGTERM set this; the loop checks it after each optimizer step.
std::atomic<int> g_stop_signal{0};
extern "C" void request_stop(int signal) {
  g_stop_signal.store(signal);
}

// Installs the handlers for the lifetime of a run, and puts the old ones back.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    previous_int_ = std::signal(SIGINT, request_stop);
    previous_term_ = std::signal(SIGTERM, request_stop);
  }
  ~StopSignals() {
    std::signal(SIGINT, previous_int_);
    std::signal(SIGTERM, previous_term_);
  }

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

AutocastState precision_of(Amp amp) {
  switch (amp) {
    case Amp::off:
      return {};
    case Amp::bf16:
      return {true, DType::bf16};
    case Amp::fp16:
      return {true, DType::f16};
  }
  return {};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_text(const fs::path& path, const std::string& text) {
  write_file_atomically(path, text);
}

const std::vector<std::string>& extra_columns() {
  static const std::vector<std::string> columns = {"val_top5", "val_macro_auc", "skipped_steps"};
  return columns;
}

}  // namespace

std::string output_dir_for(const TrainConfig& config) {
  return config.output.dir.empty() ? (fs::path("outputs") / config.output.run_name).string()
                                   : config.output.dir;
}

struct Trainer::State {
  TrainConfig config;
  TrainerOptions options;
  std::string out_dir;
  std::string config_yaml;
  // The configuration a checkpoint must match to be resumed: everything but where the run
  // lives, since `--resume DIR` may name the folder by another path.
  std::string resume_identity;
  Device device;
  AutocastState precision;
  ModelPtr model;
  RunData data;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  std::unique_ptr<ModelEma> ema;
  std::unique_ptr<Criterion> criterion;
  LossScaler scaler{false};
  EarlyStopper stopper{MonitorMode::max, 0};
  std::unique_ptr<HistoryWriter> history;
  std::unique_ptr<StepProfile> step_profile;
  TrainProgress progress;
  bool interrupted = false;
  double train_seconds = 0.0;
  int64_t train_samples = 0;

  fs::path file(const std::string& name) const { return fs::path(out_dir) / name; }

  void save_state() {
    progress.rng = default_generator().state();
    progress.schedule_state = schedule->state();
    progress.loss_scale = scaler.scale();
    progress.scaler_good_steps = scaler.good_steps();
    progress.skipped_steps = scaler.skipped_steps();
    progress.best_value = stopper.best();
    progress.best_epoch = stopper.best_epoch();
    progress.bad_epochs = stopper.bad_epochs();
    progress.config_yaml = resume_identity;
    save_checkpoint(file("checkpoint.safetensors").string(), *model, *optimizer, ema.get(),
                    progress);
  }

  void restore_state() {
    progress =
        load_checkpoint(file("checkpoint.safetensors").string(), *model, *optimizer, ema.get());
    FOVEA_CHECK(progress.config_yaml == resume_identity,
                "--resume {}: the configuration differs from the one the checkpoint was made "
                "with; resume with the config.yaml in that folder and no --set",
                out_dir);
    default_generator().set_state(progress.rng);
    schedule->load_state(progress.schedule_state);
    scaler.restore(progress.loss_scale, progress.scaler_good_steps, progress.skipped_steps);
    stopper.restore(progress.best_value, progress.best_epoch, progress.bad_epochs);
  }

  // What the micro-steps since the last optimizer step leave on the device: the summed
  // loss (times batch size) and the correct count, as f64 scalars. Reading them with the
  // gradient summary makes one host synchronisation per optimizer step.
  struct StepReadings {
    Tensor loss_sum, correct;
    int64_t samples = 0;
  };
  StepReadings pending;
  int64_t max_host_syncs_per_step = 0;

  void accumulate_readings(const Tensor& loss, const Tensor& logits, const Tensor& labels) {
    NoGradGuard no_grad;
    const int64_t b = labels.size(0);
    const Tensor loss_sum = mul(loss.detach().to(DType::f64), static_cast<double>(b));
    const Tensor correct = sum(eq(argmax(logits.detach(), 1), labels)).to(DType::f64);
    pending.loss_sum = pending.loss_sum.defined() ? add(pending.loss_sum, loss_sum) : loss_sum;
    pending.correct = pending.correct.defined() ? add(pending.correct, correct) : correct;
    pending.samples += b;
  }

  // One optimizer update from the accumulated gradients. Its one read of the device gives
  // the loss-scaler decision, the clipping factor and the progress numbers.
  void optimizer_step() {
    const profile::PhaseScope phase(profile::Phase::optimizer);
    const Tensor summary = optimizer->grad_summary().to(device);
    const std::vector<double> read =
        cat({summary, pending.loss_sum.reshape({1}), pending.correct.reshape({1})}, 0)
            .to_vector<double>();
    const double loss_sum = read[2];
    progress.epoch_loss_sum += loss_sum;
    progress.epoch_correct += static_cast<int64_t>(read[3]);
    progress.epoch_samples += pending.samples;
    pending = StepReadings{};
    FOVEA_CHECK(std::isfinite(loss_sum) || scaler.enabled(),
                "the loss became {} at optimizer step {} (epoch {}, batch {}); lower the learning "
                "rate or enable gradient clipping (training.clip_grad_norm)",
                loss_sum, progress.global_step + 1, progress.epoch + 1, progress.batch);
    const double scaled_norm = grad_norm_of(read[0], read[1]);
    if (!scaler.update(scaled_norm)) {
      FOVEA_CHECK(scaler.enabled(),
                  "non-finite gradient (norm {}) at optimizer step {} (epoch {}, batch {}): lower "
                  "the learning rate, enable gradient clipping, or check the data",
                  scaled_norm, progress.global_step + 1, progress.epoch + 1, progress.batch);
      optimizer->zero_grad();  // f16: this step is skipped and the scale lowered
      return;
    }
    const double unscale = 1.0 / scaler.scale();
    const double norm = scaled_norm * unscale;
    const double clip = config.training.clip_grad_norm > 0
                            ? std::min(1.0, config.training.clip_grad_norm / (norm + 1e-6))
                            : 1.0;
    optimizer->step(schedule->lr(progress.global_step), unscale * clip);
    optimizer->zero_grad();
    ++progress.global_step;
    if (ema) ema->update(*model);
  }

  // Trains the epoch in progress from progress.batch; false when a signal stopped it.
  bool train_epoch() {
    data::Loader& loader = *data.train_loader;
    const int64_t batches = loader.batches_per_epoch();
    const int64_t accumulate = config.training.accumulation_steps;
    loader.start_epoch(static_cast<uint64_t>(progress.epoch), progress.batch);
    std::unique_ptr<ProgressBar> bar;
    if (!options.quiet) {
      bar = std::make_unique<ProgressBar>(
          batches, fmt::format("epoch {}/{}", progress.epoch + 1, config.training.epochs),
          ProgressOptions{.unit = "batch"});
    }
    model->train();
    int64_t micro = 0;
    int64_t syncs_at_step_start = host_sync_count();
    auto start = std::chrono::steady_clock::now();
    DeviceBatches batches_on_device(loader, device);
    while (auto batch = batches_on_device.next()) {
      const Tensor& images = batch->images;
      const Tensor& labels = batch->labels;
      const Tensor& soft = batch->soft_targets;
      Tensor logits, loss;
      {
        AutocastGuard autocast(precision);
        logits = model->forward(images);
        loss = (*criterion)(logits, labels, soft);
      }
      mul(loss, scaler.scale() / static_cast<double>(accumulate)).backward();
      accumulate_readings(loss, logits, labels);
      progress.batch = batch->batch + 1;
      if (++micro % accumulate == 0 || progress.batch == batches) {
        optimizer_step();
        step_profile->after_step();
        max_host_syncs_per_step =
            std::max(max_host_syncs_per_step, host_sync_count() - syncs_at_step_start);
        syncs_at_step_start = host_sync_count();
        const int64_t every = config.output.checkpoint_every_steps;
        const bool stop = g_stop_signal.load() != 0;
        if (stop || (every > 0 && progress.global_step % every == 0)) {
          progress.epoch_seconds += seconds_since(start);
          start = std::chrono::steady_clock::now();
          save_state();
          syncs_at_step_start = host_sync_count();  // a checkpoint's reads are not the step's
          if (stop) {
            if (bar) bar->finish();
            return false;
          }
        }
      }
      if (bar) {  // the loss as of the last optimizer step's read
        bar->update(progress.batch, {{"loss", progress.epoch_loss_sum /
                                                  std::max<double>(1.0, progress.epoch_samples)},
                                     {"lr", schedule->lr(progress.global_step)}});
      }
    }
    if (bar) bar->finish();
    step_profile->end_of_epoch();
    progress.epoch_seconds += seconds_since(start);
    return true;
  }

  EvaluationRun evaluate_split(data::Loader& loader, const std::string& label) {
    return evaluate(*model, loader, data.class_names, device, precision, label, options.quiet);
  }

  // Evaluates, logs the epoch, keeps best/last weights; true when training should stop.
  bool finish_epoch() {
    const bool use_ema = ema && config.training.ema_eval;
    if (use_ema) ema->swap_into(*model);
    const EvaluationRun val = evaluate_split(*data.val_loader, "validate");
    EpochRecord record;
    record.epoch = progress.epoch + 1;
    record.train_loss = progress.epoch_loss_sum / std::max<double>(1.0, progress.epoch_samples);
    record.train_acc =
        static_cast<double>(progress.epoch_correct) / std::max<double>(1.0, progress.epoch_samples);
    record.val_loss = val.result.loss;
    const ClassificationMetrics& m = *val.result.classification;
    record.val_acc = m.accuracy;
    record.val_macro_f1 = m.macro_f1;
    record.lr = schedule->lr(progress.global_step);
    record.epoch_seconds = progress.epoch_seconds;
    record.extra = {{"val_top5", m.top5_accuracy.value_or(kNotMeasured)},
                    {"val_macro_auc", m.macro_auc},
                    {"skipped_steps", static_cast<double>(scaler.skipped_steps())}};
    history->append(record);
    train_seconds += progress.epoch_seconds;
    train_samples += progress.epoch_samples;

    const double monitored = record.value(config.training.early_stopping.monitor);
    schedule->end_epoch(monitored);
    NoGradGuard no_grad;
    if (stopper.update(record.epoch, monitored)) {
      save_safetensors(file("best_model.safetensors").string(), model->state_dict(),
                       {{"model", config.model.name}, {"epoch", std::to_string(record.epoch)}});
    }
    save_safetensors(file("last.safetensors").string(), model->state_dict(),
                     {{"model", config.model.name}, {"epoch", std::to_string(record.epoch)}});
    if (use_ema) ema->swap_into(*model);
    if (!options.quiet) {
      std::cerr << fmt::format(
          "epoch {}: train loss {:.4f} acc {:.4f} | val loss {:.4f} acc {:.4f} macro-F1 {:.4f}{}\n",
          record.epoch, record.train_loss, record.train_acc, record.val_loss, record.val_acc,
          record.val_macro_f1, stopper.best_epoch() == record.epoch ? " (best)" : "");
    }
    ++progress.epoch;
    progress.batch = 0;
    progress.epoch_loss_sum = 0.0;
    progress.epoch_correct = progress.epoch_samples = 0;
    progress.epoch_seconds = 0.0;
    save_state();
    return stopper.should_stop();
  }

  RunSummary final_report(double wall_seconds, bool stopped_early) {
    RunSummary summary;
    summary.config_name = config.output.run_name;
    summary.model_name = config.model.name;
    summary.device = device.str();
    summary.amp = choice_name(config.training.amp);
    summary.total_parameters = model->num_parameters();
    summary.trainable_parameters = model->num_parameters(/*trainable_only=*/true);
    summary.train_images_per_second =
        train_seconds > 0 ? static_cast<double>(train_samples) / train_seconds : kNotMeasured;
    summary.peak_memory_bytes = static_cast<int64_t>(allocator_for(device).stats().peak_bytes);
    summary.epochs_run = progress.epoch;
    summary.best_epoch = stopper.best_epoch();
    summary.monitor = config.training.early_stopping.monitor;
    summary.monitor_mode = choice_name(config.training.early_stopping.mode);
    summary.best_monitor_value = stopper.best_epoch() > 0 ? stopper.best() : kNotMeasured;
    summary.stopped_early = stopped_early;
    summary.wall_seconds = wall_seconds;
    summary.max_host_syncs_per_step = max_host_syncs_per_step;
    if (!history->records().empty()) {
      summary.final_train_loss = history->records().back().train_loss;
      summary.final_train_accuracy = history->records().back().train_acc;
    }
    // The final metrics are those of the best weights.
    model->load_state_dict(load_safetensors(file("best_model.safetensors").string()).tensors);
    const EvaluationRun val = evaluate_split(*data.val_loader, "final validation");
    summary.validation = val.result;
    summary.eval_images_per_second = val.images_per_second;
    if (data.test_loader) summary.test = evaluate_split(*data.test_loader, "test").result;
    write_metrics_json(file("metrics.json"), summary);
    const EvaluationResult& shown = summary.test ? *summary.test : *summary.validation;
    plot_confusion_matrix(file("confusion_matrix.png"), shown.classification->confusion,
                          data.class_names,
                          fmt::format("{} — {} confusion matrix", config.model.name,
                                      summary.test ? "test" : "validation"));
    plot_curves(file("curves.png"), history->records(),
                {.title = config.model.name, .best_epoch = stopper.best_epoch()});
    if (!options.quiet) std::cout << classification_report(*shown.classification);
    return summary;
  }
};

Trainer::Trainer(TrainConfig config, TrainerOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  validate(config);
  s.config = std::move(config);
  s.options = options;
  s.out_dir = output_dir_for(s.config);
  fs::create_directories(s.out_dir);
  s.config_yaml = to_yaml(s.config);
  TrainConfig placeless = s.config;
  placeless.output.dir.clear();
  s.resume_identity = to_yaml(placeless, YamlHelp::none);
  s.device = s.config.training.device.resolve();
  s.precision = precision_of(s.config.training.amp);
  s.scaler = LossScaler(s.config.training.amp == Amp::fp16);
  s.stopper = EarlyStopper(s.config.training.early_stopping.mode,
                           s.config.training.early_stopping.patience);
  manual_seed(s.config.training.seed);
  set_deterministic_algorithms(s.config.training.deterministic);

  const ModelInfo& info = model_info(s.config.model.name);
  s.data = prepare_data(s.config, info.default_img_size, s.out_dir);
  ModelConfig model_config{.num_classes = s.config.model.num_classes > 0
                                              ? s.config.model.num_classes
                                              : s.data.num_classes(),
                           .in_chans = s.data.in_chans,
                           .img_size = s.data.img_size,
                           .drop_rate = s.config.model.drop_rate,
                           .drop_path_rate = s.config.model.drop_path_rate,
                           .pretrained_path = s.config.model.pretrained};
  s.model = create_model(s.config.model.name, model_config);
  s.model->set_grad_checkpointing(s.config.model.grad_checkpointing);
  apply_freezing(*s.model, s.config.model);
  s.model->to(s.device);
  s.optimizer = create_optimizer(*s.model, s.config.training);
  const int64_t steps_per_epoch =
      (s.data.train_loader->batches_per_epoch() + s.config.training.accumulation_steps - 1) /
      s.config.training.accumulation_steps;
  s.schedule = std::make_unique<LrSchedule>(s.config.training, steps_per_epoch);
  if (s.config.training.ema)
    s.ema = std::make_unique<ModelEma>(*s.model, s.config.training.ema_decay);
  s.criterion = create_criterion(s.config.training, s.data.train->class_counts());
  s.step_profile =
      std::make_unique<StepProfile>(options.profile_steps, s.file("profile.txt"), !options.quiet);

  if (options.resume) {
    s.restore_state();
    s.history = std::make_unique<HistoryWriter>(
        HistoryWriter::resume(s.file("history.csv"), s.progress.epoch, extra_columns()));
  } else {
    write_text(s.file("config.yaml"), s.config_yaml);
    s.history = std::make_unique<HistoryWriter>(s.file("history.csv"), extra_columns());
  }
}

Trainer::~Trainer() = default;

RunSummary Trainer::run() {
  State& s = *state_;
  StopSignals signals;
  const auto start = std::chrono::steady_clock::now();
  bool stopped_early = false;
  while (s.progress.epoch < s.config.training.epochs && !stopped_early) {
    if (!s.train_epoch()) {
      s.interrupted = true;
      std::cerr << fmt::format(
          "\nstopped by signal {}: checkpoint saved in {}; continue with "
          "`fovea train --resume {}`\n",
          g_stop_signal.load(), s.out_dir, s.out_dir);
      RunSummary partial;
      partial.config_name = s.config.output.run_name;
      partial.model_name = s.config.model.name;
      partial.epochs_run = s.progress.epoch;
      partial.wall_seconds = seconds_since(start);
      return partial;
    }
    stopped_early = s.finish_epoch();
    if (stopped_early && !s.options.quiet) {
      std::cerr << fmt::format(
          "early stopping: {} has not improved for {} epochs (best {:.4f} at "
          "epoch {})\n",
          s.config.training.early_stopping.monitor, s.config.training.early_stopping.patience,
          s.stopper.best(), s.stopper.best_epoch());
    }
  }
  return s.final_report(seconds_since(start), stopped_early);
}

bool Trainer::interrupted() const {
  return state_->interrupted;
}
Model& Trainer::model() {
  return *state_->model;
}
const std::string& Trainer::output_dir() const {
  return state_->out_dir;
}

}  // namespace fovea::train
