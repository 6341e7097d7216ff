#pragma once
// The files a training run leaves in its output folder for people and scripts to read:
// metrics.json (the final summary) and history.csv (one row per epoch), plus the
// classification report printed at the end of a run and by `fovea eval`.
//
// Whole files are written atomically (a temp file in the same folder, fsync, rename), so a
// run killed at any moment leaves either the old file or the new one, never half of one.
// history.csv is the exception by design: it is appended to and flushed row by row, so a
// killed run keeps every finished epoch, and HistoryWriter::resume trims it back to the
// checkpoint's epoch.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "train/metrics.h"

namespace fovea::train {

inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// Writes `contents` to `path` atomically (see above); throws fovea::Error naming the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// ---- metrics.json ----

// One evaluated split. Which metrics are present depends on the task.
struct EvaluationResult {
  double loss = kNotMeasured;  // mean loss over the split
  std::optional<ClassificationMetrics> classification;
  std::optional<MultiLabelMetrics> multilabel;
};

struct RunSummary {
  std::string config_name;  // the config file's stem, e.g. "convnext_tiny"
  std::string model_name;   // the registry name, e.g. "convnext_tiny"
  std::string device;       // "cpu", "cuda:0 (NVIDIA H100 80GB HBM3)", ...
  std::string amp;          // "off", "bf16", "fp16"
  int64_t total_parameters = 0;
  int64_t trainable_parameters = 0;
  double train_images_per_second = kNotMeasured;
  double eval_images_per_second = kNotMeasured;
  int64_t peak_memory_bytes = 0;  // of the device that trained
  int64_t epochs_run = 0;
  int64_t best_epoch = 0;    // 1-based; the epoch whose weights are best_model.safetensors
  std::string monitor;       // "val_macro_f1", "val_loss", ...
  std::string monitor_mode;  // "max" or "min"
  double best_monitor_value = kNotMeasured;
  bool stopped_early = false;
  double wall_seconds = 0;
  double final_train_loss = kNotMeasured;  // of the last epoch run
  double final_train_accuracy = kNotMeasured;
  // The most host synchronisations (item(), device-to-host reads) one optimizer step made:
  // 1 when the loss, accuracy and gradient summary come back in one read.
  int64_t max_host_syncs_per_step = 0;
  std::optional<EvaluationResult> validation;
  std::optional<EvaluationResult> test;
};

// JSON forms. NaN (an undefined AUC, a metric not measured) is written as null and read
// back as NaN. Reading throws fovea::Error naming a missing or mistyped key.
nlohmann::ordered_json to_json(const ClassificationMetrics& metrics);
nlohmann::ordered_json to_json(const MultiLabelMetrics& metrics);
nlohmann::ordered_json to_json(const EvaluationResult& result);
nlohmann::ordered_json to_json(const RunSummary& summary);
ClassificationMetrics classification_metrics_from_json(const nlohmann::ordered_json& json);
MultiLabelMetrics multilabel_metrics_from_json(const nlohmann::ordered_json& json);
RunSummary run_summary_from_json(const nlohmann::ordered_json& json);

void write_metrics_json(const std::filesystem::path& path, const RunSummary& summary);
RunSummary read_metrics_json(const std::filesystem::path& path);

// A text table like sklearn's classification_report: one line per class (precision,
// recall, F1, support, AUC), then accuracy, top-5, macro and weighted averages.
std::string classification_report(const ClassificationMetrics& metrics);

// ---- history.csv ----

// One epoch. NaN values (no validation this epoch, ...) are written as empty cells.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  double train_loss = kNotMeasured;
  double train_acc = kNotMeasured;
  double val_loss = kNotMeasured;
  double val_acc = kNotMeasured;
  double val_macro_f1 = kNotMeasured;
  double lr = kNotMeasured;
  double epoch_seconds = kNotMeasured;
  // Values of the writer's extra columns (val_top5, ema_val_acc, skipped_steps, ...).
  std::vector<std::pair<std::string, double>> extra;

  // Any column by its CSV name, standard or extra; NaN when absent.
  double value(std::string_view column) const;
};

// The standard columns, in file order.
const std::vector<std::string>& history_standard_columns();

// Appends one CSV row per epoch to history.csv and flushes it at once.
class HistoryWriter {
 public:
  // Starts a new history at `path`, replacing any file there. Extra column names must be
  // distinct, non-empty, not standard, and free of commas, quotes and line breaks.
  explicit HistoryWriter(std::filesystem::path path, std::vector<std::string> extra_columns = {});

  // Continues the history of a resumed run: keeps the rows of epochs <= keep_through_epoch
  // (the checkpoint's epoch) and drops later ones, including a last row cut short by a
  // kill. The file's columns must be those this writer would write. A missing file starts
  // a new history.
  static HistoryWriter resume(std::filesystem::path path, int64_t keep_through_epoch,
                              std::vector<std::string> extra_columns = {});

  // Epochs must increase; extra values must name extra columns (missing ones stay empty).
  void append(const EpochRecord& record);

  // Every row in the file, kept ones included (what plot_curves draws).
  const std::vector<EpochRecord>& records() const { return records_; }
  const std::filesystem::path& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  HistoryWriter(std::filesystem::path path, std::vector<std::string> extra_columns,
                std::vector<EpochRecord> kept);
  void open_for_append();
  void check_row(const EpochRecord& record, const EpochRecord* previous) const;
  std::string row_text(const EpochRecord& record) const;

  std::filesystem::path path_;
  std::vector<std::string> extra_columns_;
  std::vector<std::string> columns_;
  std::vector<EpochRecord> records_;
  std::ofstream out_;
};

// Reads a history.csv written by HistoryWriter (columns by name; a last line without a
// line break, left by a kill mid-write, is ignored).
std::vector<EpochRecord> read_history_csv(const std::filesystem::path& path);

}  // namespace fovea::train
