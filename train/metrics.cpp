#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/autograd.h"
#include "engine/ops/softmax.h"

namespace fovea::train {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// zero_division=0: an undefined ratio (0 / 0) is reported as 0.
double ratio(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / denominator;
}

double f1_score(int64_t tp, int64_t fp, int64_t fn) {
  return ratio(2 * tp, 2 * tp + fp + fn);
}

std::vector<std::string> names_or_indices(const std::vector<std::string>& names, int64_t count,
                                          const char* what) {
  if (names.empty()) {
    std::vector<std::string> indices;
    for (int64_t i = 0; i < count; ++i) indices.push_back(std::to_string(i));
    return indices;
  }
  FOVEA_CHECK(static_cast<int64_t>(names.size()) == count, "{}: {} names given for {} columns",
              what, names.size(), count);
  return names;
}

void check_scores(const Tensor& scores, const char* op, const char* what) {
  FOVEA_CHECK(scores.defined() && scores.dim() == 2 && is_floating(scores.dtype()),
              "{}: {} must be a 2-D floating tensor [N, C], got {} {}", op, what,
              scores.defined() ? dtype_name(scores.dtype()) : "undefined",
              scores.defined() ? shape_str(scores.shape()) : "");
}

std::vector<int64_t> labels_vector(const Tensor& labels, int64_t rows, const char* op) {
  FOVEA_CHECK(labels.defined() && labels.dim() == 1 &&
                  (labels.dtype() == DType::i64 || labels.dtype() == DType::i32),
              "{}: labels must be a 1-D i64 or i32 tensor [N], got {} {}", op,
              labels.defined() ? dtype_name(labels.dtype()) : "undefined",
              labels.defined() ? shape_str(labels.shape()) : "");
  FOVEA_CHECK(labels.size(0) == rows, "{}: {} labels for {} rows of probabilities", op,
              labels.size(0), rows);
  return labels.to_vector<int64_t>();
}

void check_finite(std::span<const float> values, int64_t columns, const char* op) {
  for (size_t i = 0; i < values.size(); ++i) {
    FOVEA_CHECK(std::isfinite(values[i]), "{}: probability of sample {} class {} is {}", op,
                static_cast<int64_t>(i) / columns, static_cast<int64_t>(i) % columns, values[i]);
  }
}

double mean_of_defined(const std::vector<double>& values, int64_t* excluded) {
  double sum = 0;
  int64_t count = 0;
  for (double value : values) {
    if (std::isnan(value)) continue;
    sum += value;
    ++count;
  }
  *excluded = static_cast<int64_t>(values.size()) - count;
  return count == 0 ? kNaN : sum / count;
}

}  // namespace

int64_t ConfusionMatrix::support(int64_t true_class) const {
  int64_t total = 0;
  for (int64_t p = 0; p < num_classes; ++p) total += at(true_class, p);
  return total;
}

int64_t ConfusionMatrix::predicted(int64_t predicted_class) const {
  int64_t total = 0;
  for (int64_t t = 0; t < num_classes; ++t) total += at(t, predicted_class);
  return total;
}

double roc_auc(std::span<const float> scores, std::span<const uint8_t> positive, size_t stride,
               size_t offset) {
  FOVEA_CHECK(scores.size() == positive.size(), "roc_auc: {} scores but {} targets", scores.size(),
              positive.size());
  std::vector<size_t> order;
  for (size_t i = offset; i < scores.size(); i += stride) {
    FOVEA_CHECK(std::isfinite(scores[i]), "roc_auc: score {} is {}", i, scores[i]);
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  // Walk the thresholds from high to low. Each group of equal scores is one ROC step: it
  // adds its false positives times the mean of the true-positive counts before and after
  // the step (the trapezoid), which gives every tied positive/negative pair 1/2.
  double area = 0;
  int64_t tp = 0, fp = 0;
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin;
    int64_t group_tp = 0, group_fp = 0;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) {
      (positive[order[end]] ? group_tp : group_fp) += 1;
      ++end;
    }
    area += static_cast<double>(group_fp) * (static_cast<double>(tp) + 0.5 * group_tp);
    tp += group_tp;
    fp += group_fp;
    begin = end;
  }
  if (tp == 0 || fp == 0) return kNaN;
  return area / (static_cast<double>(tp) * static_cast<double>(fp));
}

ClassificationMetrics compute_metrics(std::span<const float> probabilities,
                                      std::span<const int64_t> labels, int64_t num_classes,
                                      const std::vector<std::string>& class_names) {
  const char* op = "compute_metrics";
  const int64_t n = static_cast<int64_t>(labels.size());
  const int64_t c = num_classes;
  FOVEA_CHECK(c > 0, "{}: num_classes must be positive, got {}", op, c);
  FOVEA_CHECK(n > 0, "{}: no samples to evaluate", op);
  FOVEA_CHECK(static_cast<int64_t>(probabilities.size()) == n * c,
              "{}: {} probabilities for {} samples of {} classes", op, probabilities.size(), n, c);
  const std::vector<std::string> names = names_or_indices(class_names, c, op);
  check_finite(probabilities, c, op);
  for (int64_t i = 0; i < n; ++i) {
    FOVEA_CHECK(labels[i] >= 0 && labels[i] < c, "{}: label {} of sample {} is outside [0, {})", op,
                labels[i], i, c);
  }

  ClassificationMetrics m;
  m.num_samples = n;
  m.confusion = ConfusionMatrix(c);
  int64_t top1 = 0, top5 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = probabilities.data() + i * c;
    const int64_t truth = labels[i];
    const int64_t predicted = std::max_element(row, row + c) - row;  // the first maximum
    m.confusion.at(truth, predicted) += 1;
    int64_t above = 0;  // classes ranked before the true one
    for (int64_t j = 0; j < c; ++j) {
      above += row[j] > row[truth] || (row[j] == row[truth] && j < truth);
    }
    top1 += above < 1;
    top5 += above < 5;
  }
  m.accuracy = ratio(top1, n);
  if (c > 5) m.top5_accuracy = ratio(top5, n);

  std::vector<uint8_t> positive(static_cast<size_t>(n * c), 0);
  for (int64_t i = 0; i < n; ++i) positive[static_cast<size_t>(i * c + labels[i])] = 1;
  std::vector<double> aucs;
  double recall_sum = 0, weighted_f1_sum = 0;
  int64_t classes_with_support = 0;
  for (int64_t k = 0; k < c; ++k) {
    ClassMetrics& cls = m.per_class.emplace_back();
    cls.name = names[k];
    const int64_t tp = m.confusion.at(k, k);
    cls.support = m.confusion.support(k);
    cls.predicted = m.confusion.predicted(k);
    cls.precision = ratio(tp, cls.predicted);
    cls.recall = ratio(tp, cls.support);
    cls.f1 = f1_score(tp, cls.predicted - tp, cls.support - tp);
    cls.auc = roc_auc(probabilities, positive, static_cast<size_t>(c), static_cast<size_t>(k));
    aucs.push_back(cls.auc);
    m.macro_precision += cls.precision / c;
    m.macro_recall += cls.recall / c;
    m.macro_f1 += cls.f1 / c;
    weighted_f1_sum += cls.f1 * cls.support;
    if (cls.support > 0) {
      recall_sum += cls.recall;
      ++classes_with_support;
    }
  }
  m.weighted_f1 = weighted_f1_sum / n;
  m.balanced_accuracy = recall_sum / classes_with_support;
  m.macro_auc = mean_of_defined(aucs, &m.auc_excluded_classes);
  return m;
}

ClassificationMetrics compute_metrics(const Tensor& probabilities, const Tensor& labels,
                                      const std::vector<std::string>& class_names) {
  check_scores(probabilities, "compute_metrics", "probabilities");
  const std::vector<int64_t> label_values =
      labels_vector(labels, probabilities.size(0), "compute_metrics");
  const std::vector<float> values = probabilities.to_vector<float>();
  return compute_metrics(values, label_values, probabilities.size(1), class_names);
}

MetricsAccumulator::MetricsAccumulator(int64_t num_classes, std::vector<std::string> class_names)
    : num_classes_(num_classes),
      class_names_(names_or_indices(class_names, num_classes, "MetricsAccumulator")) {
  FOVEA_CHECK(num_classes > 0, "MetricsAccumulator: num_classes must be positive, got {}",
              num_classes);
}

void MetricsAccumulator::add_probabilities(const Tensor& probabilities, const Tensor& labels) {
  const char* op = "MetricsAccumulator::add";
  check_scores(probabilities, op, "probabilities");
  FOVEA_CHECK(probabilities.size(1) == num_classes_, "{}: batch has {} classes, expected {}", op,
              probabilities.size(1), num_classes_);
  const std::vector<int64_t> batch_labels = labels_vector(labels, probabilities.size(0), op);
  const std::vector<float> batch = probabilities.to_vector<float>();
  probabilities_.insert(probabilities_.end(), batch.begin(), batch.end());
  labels_.insert(labels_.end(), batch_labels.begin(), batch_labels.end());
}

void MetricsAccumulator::add_logits(const Tensor& logits, const Tensor& labels) {
  check_scores(logits, "MetricsAccumulator::add_logits", "logits");
  NoGradGuard no_grad;
  add_probabilities(softmax(logits.detach(), -1), labels);
}

ClassificationMetrics MetricsAccumulator::compute() const {
  return compute_metrics(probabilities_, labels_, num_classes_, class_names_);
}

void MetricsAccumulator::reset() {
  probabilities_.clear();
  labels_.clear();
}

MultiLabelMetrics compute_multilabel_metrics(const Tensor& probabilities, const Tensor& targets,
                                             const std::vector<std::string>& label_names,
                                             double threshold) {
  const char* op = "compute_multilabel_metrics";
  check_scores(probabilities, op, "probabilities");
  FOVEA_CHECK(targets.defined() && targets.shape() == probabilities.shape(),
              "{}: targets must have the probabilities' shape {}, got {}", op,
              shape_str(probabilities.shape()),
              targets.defined() ? shape_str(targets.shape()) : "undefined");
  const int64_t n = probabilities.size(0), num_labels = probabilities.size(1);
  FOVEA_CHECK(n > 0 && num_labels > 0, "{}: no samples or no labels ({})", op,
              shape_str(probabilities.shape()));
  const std::vector<std::string> names = names_or_indices(label_names, num_labels, op);
  const std::vector<float> scores = probabilities.to_vector<float>();
  check_finite(scores, num_labels, op);
  const std::vector<double> target_values = targets.to_vector<double>();
  std::vector<uint8_t> positive(target_values.size());
  for (size_t i = 0; i < target_values.size(); ++i) {
    FOVEA_CHECK(target_values[i] == 0.0 || target_values[i] == 1.0,
                "{}: target of sample {} label {} is {}, expected 0 or 1", op,
                static_cast<int64_t>(i) / num_labels, static_cast<int64_t>(i) % num_labels,
                target_values[i]);
    positive[i] = target_values[i] == 1.0;
  }

  MultiLabelMetrics m;
  m.num_samples = n;
  m.threshold = threshold;
  std::vector<double> aucs;
  for (int64_t k = 0; k < num_labels; ++k) {
    LabelMetrics& label = m.per_label.emplace_back();
    label.name = names[k];
    int64_t tp = 0, fp = 0, fn = 0;
    for (int64_t i = 0; i < n; ++i) {
      const size_t at = static_cast<size_t>(i * num_labels + k);
      const bool predicted = scores[at] >= threshold;
      tp += predicted && positive[at];
      fp += predicted && !positive[at];
      fn += !predicted && positive[at];
    }
    label.support = tp + fn;
    label.precision = ratio(tp, tp + fp);
    label.recall = ratio(tp, tp + fn);
    label.f1 = f1_score(tp, fp, fn);
    label.auc = roc_auc(scores, positive, static_cast<size_t>(num_labels), static_cast<size_t>(k));
    aucs.push_back(label.auc);
    m.macro_f1 += label.f1 / num_labels;
  }
  m.mean_auc = mean_of_defined(aucs, &m.auc_excluded_labels);
  int64_t exact = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool all_right = true;
    for (int64_t k = 0; k < num_labels; ++k) {
      const size_t at = static_cast<size_t>(i * num_labels + k);
      all_right = all_right && (scores[at] >= threshold) == static_cast<bool>(positive[at]);
    }
    exact += all_right;
  }
  m.exact_match = ratio(exact, n);
  return m;
}

}  // namespace fovea::train
