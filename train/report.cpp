#include "train/report.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <utility>

#include "kernels/error.h"

namespace fovea::train {

using nlohmann::ordered_json;

namespace {

// ---- atomic files ----

// Closes a POSIX file descriptor on every path out of write_file_atomically.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// ---- JSON helpers: NaN <-> null, and errors that name the key ----

ordered_json number(double value) {
  return std::isnan(value) ? ordered_json(nullptr) : ordered_json(value);
}

const ordered_json& member(const ordered_json& json, const char* key) {
  FOVEA_CHECK(json.is_object(), "metrics JSON: expected an object holding '{}', got {}", key,
              json.type_name());
  const auto it = json.find(key);
  FOVEA_CHECK(it != json.end(), "metrics JSON: missing key '{}'", key);
  return *it;
}

double get_number(const ordered_json& json, const char* key) {
  const ordered_json& value = member(json, key);
  if (value.is_null()) return kNotMeasured;
  FOVEA_CHECK(value.is_number(), "metrics JSON: '{}' must be a number or null, got {}", key,
              value.type_name());
  return value.get<double>();
}

int64_t get_integer(const ordered_json& json, const char* key) {
  const ordered_json& value = member(json, key);
  FOVEA_CHECK(value.is_number_integer(), "metrics JSON: '{}' must be an integer, got {}", key,
              value.type_name());
  return value.get<int64_t>();
}

std::string get_string(const ordered_json& json, const char* key) {
  const ordered_json& value = member(json, key);
  FOVEA_CHECK(value.is_string(), "metrics JSON: '{}' must be a string, got {}", key,
              value.type_name());
  return value.get<std::string>();
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path temp = path.string() + ".tmp";
  {
    FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    FOVEA_CHECK(fd.get() >= 0, "cannot create '{}': {}", temp.string(), std::strerror(errno));
    size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
      if (n < 0 && errno == EINTR) continue;
      FOVEA_CHECK(n > 0, "writing '{}' failed: {}", temp.string(), std::strerror(errno));
      written += static_cast<size_t>(n);
    }
    // Without the fsync a crash soon after the rename can leave an empty file under the
    // final name on some file systems.
    FOVEA_CHECK(::fsync(fd.get()) == 0, "cannot sync '{}': {}", temp.string(),
                std::strerror(errno));
    FOVEA_CHECK(::close(fd.release()) == 0, "cannot close '{}': {}", temp.string(),
                std::strerror(errno));
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    const std::string reason = error.message();  // before remove() reuses `error`
    std::filesystem::remove(temp, error);
    fail("cannot rename '{}' to '{}': {}", temp.string(), path.string(), reason);
  }
}

// ---- metrics.json ----

ordered_json to_json(const ClassificationMetrics& m) {
  ordered_json json;
  json["num_samples"] = m.num_samples;
  json["num_classes"] = m.num_classes();
  json["accuracy"] = number(m.accuracy);
  json["top5_accuracy"] = m.top5_accuracy ? number(*m.top5_accuracy) : ordered_json(nullptr);
  json["macro_precision"] = number(m.macro_precision);
  json["macro_recall"] = number(m.macro_recall);
  json["macro_f1"] = number(m.macro_f1);
  json["weighted_f1"] = number(m.weighted_f1);
  json["balanced_accuracy"] = number(m.balanced_accuracy);
  json["macro_auc"] = number(m.macro_auc);
  json["auc_excluded_classes"] = m.auc_excluded_classes;
  ordered_json per_class = ordered_json::array();
  for (size_t k = 0; k < m.per_class.size(); ++k) {
    const ClassMetrics& c = m.per_class[k];
    per_class.push_back({{"index", k},
                         {"name", c.name},
                         {"precision", number(c.precision)},
                         {"recall", number(c.recall)},
                         {"f1", number(c.f1)},
                         {"support", c.support},
                         {"predicted", c.predicted},
                         {"auc", number(c.auc)}});
  }
  json["per_class"] = std::move(per_class);
  ordered_json rows = ordered_json::array();
  for (int64_t t = 0; t < m.num_classes(); ++t) {
    const auto begin = m.confusion.counts.begin() + t * m.num_classes();
    rows.push_back(std::vector<int64_t>(begin, begin + m.num_classes()));
  }
  json["confusion_matrix"] = std::move(rows);  // rows: true class, columns: predicted
  return json;
}

ClassificationMetrics classification_metrics_from_json(const ordered_json& json) {
  ClassificationMetrics m;
  m.num_samples = get_integer(json, "num_samples");
  const int64_t classes = get_integer(json, "num_classes");
  m.accuracy = get_number(json, "accuracy");
  if (!member(json, "top5_accuracy").is_null()) m.top5_accuracy = get_number(json, "top5_accuracy");
  m.macro_precision = get_number(json, "macro_precision");
  m.macro_recall = get_number(json, "macro_recall");
  m.macro_f1 = get_number(json, "macro_f1");
  m.weighted_f1 = get_number(json, "weighted_f1");
  m.balanced_accuracy = get_number(json, "balanced_accuracy");
  m.macro_auc = get_number(json, "macro_auc");
  m.auc_excluded_classes = get_integer(json, "auc_excluded_classes");
  for (const ordered_json& c : member(json, "per_class")) {
    m.per_class.push_back({get_string(c, "name"), get_number(c, "precision"),
                           get_number(c, "recall"), get_number(c, "f1"), get_integer(c, "support"),
                           get_integer(c, "predicted"), get_number(c, "auc")});
  }
  m.confusion = ConfusionMatrix(classes);
  const ordered_json& rows = member(json, "confusion_matrix");
  FOVEA_CHECK(static_cast<int64_t>(m.per_class.size()) == classes &&
                  static_cast<int64_t>(rows.size()) == classes,
              "metrics JSON: {} classes but {} per-class entries and {} confusion rows", classes,
              m.per_class.size(), rows.size());
  for (int64_t t = 0; t < classes; ++t) {
    const ordered_json& row = rows[static_cast<size_t>(t)];
    FOVEA_CHECK(row.is_array() && static_cast<int64_t>(row.size()) == classes,
                "metrics JSON: confusion row {} must hold {} counts", t, classes);
    for (int64_t p = 0; p < classes; ++p) m.confusion.at(t, p) = row[p].get<int64_t>();
  }
  return m;
}

ordered_json to_json(const MultiLabelMetrics& m) {
  ordered_json json;
  json["num_samples"] = m.num_samples;
  json["threshold"] = m.threshold;
  json["mean_auc"] = number(m.mean_auc);
  json["auc_excluded_labels"] = m.auc_excluded_labels;
  json["macro_f1"] = number(m.macro_f1);
  json["exact_match"] = number(m.exact_match);
  ordered_json per_label = ordered_json::array();
  for (size_t k = 0; k < m.per_label.size(); ++k) {
    const LabelMetrics& l = m.per_label[k];
    per_label.push_back({{"index", k},
                         {"name", l.name},
                         {"auc", number(l.auc)},
                         {"precision", number(l.precision)},
                         {"recall", number(l.recall)},
                         {"f1", number(l.f1)},
                         {"support", l.support}});
  }
  json["per_label"] = std::move(per_label);
  return json;
}

MultiLabelMetrics multilabel_metrics_from_json(const ordered_json& json) {
  MultiLabelMetrics m;
  m.num_samples = get_integer(json, "num_samples");
  m.threshold = get_number(json, "threshold");
  m.mean_auc = get_number(json, "mean_auc");
  m.auc_excluded_labels = get_integer(json, "auc_excluded_labels");
  m.macro_f1 = get_number(json, "macro_f1");
  m.exact_match = get_number(json, "exact_match");
  for (const ordered_json& l : member(json, "per_label")) {
    m.per_label.push_back({get_string(l, "name"), get_number(l, "auc"), get_number(l, "precision"),
                           get_number(l, "recall"), get_number(l, "f1"),
                           get_integer(l, "support")});
  }
  return m;
}

ordered_json to_json(const EvaluationResult& result) {
  ordered_json json;
  json["loss"] = number(result.loss);
  if (result.classification) json["classification"] = to_json(*result.classification);
  if (result.multilabel) json["multilabel"] = to_json(*result.multilabel);
  return json;
}

namespace {

EvaluationResult evaluation_from_json(const ordered_json& json) {
  EvaluationResult result;
  result.loss = get_number(json, "loss");
  if (json.contains("classification")) {
    result.classification = classification_metrics_from_json(json["classification"]);
  }
  if (json.contains("multilabel")) {
    result.multilabel = multilabel_metrics_from_json(json["multilabel"]);
  }
  return result;
}

}  // namespace

ordered_json to_json(const RunSummary& s) {
  ordered_json json;
  json["config"] = s.config_name;
  json["model"] = s.model_name;
  json["device"] = s.device;
  json["amp"] = s.amp;
  json["parameters"] = {{"total", s.total_parameters}, {"trainable", s.trainable_parameters}};
  json["images_per_second"] = {{"train", number(s.train_images_per_second)},
                               {"eval", number(s.eval_images_per_second)}};
  json["peak_memory_bytes"] = s.peak_memory_bytes;
  json["training"] = {{"epochs_run", s.epochs_run},
                      {"best_epoch", s.best_epoch},
                      {"monitor", s.monitor},
                      {"monitor_mode", s.monitor_mode},
                      {"best_monitor_value", number(s.best_monitor_value)},
                      {"stopped_early", s.stopped_early},
                      {"wall_seconds", number(s.wall_seconds)},
                      {"final_train_loss", number(s.final_train_loss)},
                      {"final_train_accuracy", number(s.final_train_accuracy)},
                      {"max_host_syncs_per_step", s.max_host_syncs_per_step}};
  json["validation"] = s.validation ? to_json(*s.validation) : ordered_json(nullptr);
  json["test"] = s.test ? to_json(*s.test) : ordered_json(nullptr);
  return json;
}

RunSummary run_summary_from_json(const ordered_json& json) {
  RunSummary s;
  s.config_name = get_string(json, "config");
  s.model_name = get_string(json, "model");
  s.device = get_string(json, "device");
  s.amp = get_string(json, "amp");
  const ordered_json& parameters = member(json, "parameters");
  s.total_parameters = get_integer(parameters, "total");
  s.trainable_parameters = get_integer(parameters, "trainable");
  const ordered_json& speed = member(json, "images_per_second");
  s.train_images_per_second = get_number(speed, "train");
  s.eval_images_per_second = get_number(speed, "eval");
  s.peak_memory_bytes = get_integer(json, "peak_memory_bytes");
  const ordered_json& training = member(json, "training");
  s.epochs_run = get_integer(training, "epochs_run");
  s.best_epoch = get_integer(training, "best_epoch");
  s.monitor = get_string(training, "monitor");
  s.monitor_mode = get_string(training, "monitor_mode");
  s.best_monitor_value = get_number(training, "best_monitor_value");
  const ordered_json& stopped = member(training, "stopped_early");
  FOVEA_CHECK(stopped.is_boolean(), "metrics JSON: 'stopped_early' must be true or false");
  s.stopped_early = stopped.get<bool>();
  s.wall_seconds = get_number(training, "wall_seconds");
  s.final_train_loss = get_number(training, "final_train_loss");
  s.final_train_accuracy = get_number(training, "final_train_accuracy");
  // Optional: metrics.json files written before it was recorded lack it.
  if (training.contains("max_host_syncs_per_step"))
    s.max_host_syncs_per_step = get_integer(training, "max_host_syncs_per_step");
  if (!member(json, "validation").is_null())
    s.validation = evaluation_from_json(json["validation"]);
  if (!member(json, "test").is_null()) s.test = evaluation_from_json(json["test"]);
  return s;
}

void write_metrics_json(const std::filesystem::path& path, const RunSummary& summary) {
  write_file_atomically(path, to_json(summary).dump(2) + "\n");
}

RunSummary read_metrics_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  FOVEA_CHECK(in, "cannot open '{}'", path.string());
  try {
    return run_summary_from_json(ordered_json::parse(in));
  } catch (const nlohmann::json::exception& e) {
    fail("'{}' is not valid metrics JSON: {}", path.string(), e.what());
  } catch (const Error& e) {
    fail("'{}': {}", path.string(), e.what());
  }
}

std::string classification_report(const ClassificationMetrics& m) {
  size_t width = 12;  // "weighted avg"
  for (const ClassMetrics& c : m.per_class) width = std::max(width, c.name.size());
  const auto value = [](double v) {
    return std::isnan(v) ? fmt::format("{:>10}", "-") : fmt::format("{:>10.4f}", v);
  };
  std::string out = fmt::format("{:>{}} {:>10}{:>10}{:>10}{:>10}{:>10}\n\n", "", width, "precision",
                                "recall", "f1-score", "support", "auc");
  for (const ClassMetrics& c : m.per_class) {
    out += fmt::format("{:>{}} {}{}{}{:>10}{}\n", c.name, width, value(c.precision),
                       value(c.recall), value(c.f1), c.support, value(c.auc));
  }
  out += "\n";
  out += fmt::format("{:>{}} {:>20}{}{:>10}\n", "accuracy", width, "", value(m.accuracy),
                     m.num_samples);
  if (m.top5_accuracy) {
    out += fmt::format("{:>{}} {:>20}{}{:>10}\n", "top-5 acc", width, "", value(*m.top5_accuracy),
                       m.num_samples);
  }
  out += fmt::format("{:>{}} {:>20}{}{:>10}\n", "balanced acc", width, "",
                     value(m.balanced_accuracy), m.num_samples);
  out += fmt::format("{:>{}} {}{}{}{:>10}{}\n", "macro avg", width, value(m.macro_precision),
                     value(m.macro_recall), value(m.macro_f1), m.num_samples, value(m.macro_auc));
  out += fmt::format("{:>{}} {:>20}{}{:>10}\n", "weighted avg", width, "", value(m.weighted_f1),
                     m.num_samples);
  if (m.auc_excluded_classes > 0) {
    out += fmt::format("({} class(es) without positives or negatives left out of the AUC)\n",
                       m.auc_excluded_classes);
  }
  return out;
}

}  // namespace fovea::train
