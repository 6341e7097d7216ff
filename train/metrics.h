#pragma once
// Classification metrics from predicted probabilities, defined the way scikit-learn
// defines them, so that numbers reported by fovea can be compared with numbers from
// Python code bases (the seeds report accuracy, macro-F1, per-class recall and AUC).
//
// Single-label (softmax) classification, C classes, N samples:
// - accuracy: top-1, the prediction is the first index of the largest probability
//   (numpy's argmax). top5_accuracy is present only when C > 5 (with C <= 5 it is 1 by
//   definition, so it is left out rather than reported as a meaningless 1.0). A sample
//   counts as a top-k hit when fewer than k classes rank above its true class, where
//   class j ranks above the true class t if p_j > p_t, or p_j == p_t and j < t: the
//   order argmax uses, so top-1 and accuracy always agree.
// - confusion matrix [C, C]: rows are the true class, columns the predicted class.
// - per-class precision, recall and F1 as precision_recall_fscore_support(y_true,
//   y_pred, labels=range(C), zero_division=0). sklearn's default zero_division="warn"
//   gives the same values (it warns and uses 0): precision is 0 for a class that is never
//   predicted, recall is 0 for a class with no support, and F1 = 2 tp / (2 tp + fp + fn)
//   is 0 when that denominator is 0 (the sklearn >= 1.3 formula; the older
//   2 P R / (P + R) gives the same numbers with zero_division=0).
// - macro precision/recall/F1: the unweighted mean over all C classes, including classes
//   with no support and no predictions (as sklearn does when labels=range(C) is given;
//   without `labels`, sklearn would silently drop classes absent from both y_true and
//   y_pred, which makes macro-F1 depend on which classes a test split happens to contain).
// - weighted F1: per-class F1 weighted by support (f1_score(average="weighted")).
// - balanced accuracy: the mean recall over the classes that have support, as
//   balanced_accuracy_score (which drops classes absent from y_true).
// - one-vs-rest ROC AUC per class: the area under the ROC curve of p[:, c] for
//   "label == c", trapezoidal over the distinct thresholds, so tied scores count 1/2 per
//   positive/negative pair exactly like roc_auc_score. A class with no positive or no
//   negative sample has no ROC curve: its AUC is NaN, it is left out of macro_auc, and
//   auc_excluded_classes counts it (roc_auc_score raises instead).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace fovea::train {

// Counts of (true class, predicted class) pairs, row-major [num_classes, num_classes].
struct ConfusionMatrix {
  int64_t num_classes = 0;
  std::vector<int64_t> counts;

  ConfusionMatrix() = default;
  explicit ConfusionMatrix(int64_t classes)
      : num_classes(classes), counts(static_cast<size_t>(classes * classes), 0) {}
  int64_t& at(int64_t true_class, int64_t predicted) {
    return counts[static_cast<size_t>(true_class * num_classes + predicted)];
  }
  int64_t at(int64_t true_class, int64_t predicted) const {
    return counts[static_cast<size_t>(true_class * num_classes + predicted)];
  }
  int64_t support(int64_t true_class) const;   // the row sum
  int64_t predicted(int64_t predicted) const;  // the column sum
  bool operator==(const ConfusionMatrix&) const = default;
};

struct ClassMetrics {
  std::string name;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  int64_t support = 0;    // samples whose true class this is
  int64_t predicted = 0;  // samples predicted as this class
  double auc = 0;         // one-vs-rest; NaN when undefined (see above)
};

struct ClassificationMetrics {
  int64_t num_samples = 0;
  double accuracy = 0;
  std::optional<double> top5_accuracy;  // only when num_classes > 5
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;
  double weighted_f1 = 0;
  double balanced_accuracy = 0;
  double macro_auc = 0;  // NaN when no class has a defined AUC
  int64_t auc_excluded_classes = 0;
  std::vector<ClassMetrics> per_class;
  ConfusionMatrix confusion;

  int64_t num_classes() const { return confusion.num_classes; }
};

// probabilities: [N, C] floating (any device; copied to the host), one row per sample.
// labels: [N] i64 or i32 in [0, C). class_names: C names, or empty for "0", "1", ...
// Throws fovea::Error for empty input, bad shapes or dtypes, labels out of range, and
// non-finite probabilities (naming the sample).
ClassificationMetrics compute_metrics(const Tensor& probabilities, const Tensor& labels,
                                      const std::vector<std::string>& class_names);

// The same on host data: probabilities row-major [labels.size(), num_classes].
ClassificationMetrics compute_metrics(std::span<const float> probabilities,
                                      std::span<const int64_t> labels, int64_t num_classes,
                                      const std::vector<std::string>& class_names);

// Area under the ROC curve of `scores` for the samples where `positive` is non-zero, with
// ties handled like roc_auc_score; NaN when all samples are positive or all negative.
// `stride` steps through `scores` and `positive` (to read one column of a row-major
// matrix without copying it).
double roc_auc(std::span<const float> scores, std::span<const uint8_t> positive, size_t stride = 1,
               size_t offset = 0);

// Collects batches during evaluation. AUC needs every score, so the probabilities are
// kept ([N, C] floats, 4 MB for 10k samples of 100 classes); logits are turned into
// probabilities with softmax as they arrive.
class MetricsAccumulator {
 public:
  MetricsAccumulator(int64_t num_classes, std::vector<std::string> class_names = {});

  // probabilities: [B, C] floating; labels: [B] integer. Any device.
  void add_probabilities(const Tensor& probabilities, const Tensor& labels);
  // logits: [B, C] floating; softmax is applied along the classes.
  void add_logits(const Tensor& logits, const Tensor& labels);

  int64_t num_samples() const { return static_cast<int64_t>(labels_.size()); }
  int64_t num_classes() const { return num_classes_; }
  const std::vector<float>& probabilities() const { return probabilities_; }  // [N, C]
  const std::vector<int64_t>& labels() const { return labels_; }
  ClassificationMetrics compute() const;
  void reset();

 private:
  int64_t num_classes_;
  std::vector<std::string> class_names_;
  std::vector<float> probabilities_;
  std::vector<int64_t> labels_;
};

// ---- multi-label (one sigmoid per label, as CheXNet's 14 findings) ----

struct LabelMetrics {
  std::string name;
  double auc = 0;        // NaN when the label is all 0 or all 1 in the targets
  double precision = 0;  // at the threshold, zero_division=0 as above
  double recall = 0;
  double f1 = 0;
  int64_t support = 0;  // samples with target 1
};

struct MultiLabelMetrics {
  int64_t num_samples = 0;
  double threshold = 0.5;  // a label is predicted when its probability >= threshold
  double mean_auc = 0;     // over labels with a defined AUC (CheXNet's mean AUROC)
  int64_t auc_excluded_labels = 0;
  double macro_f1 = 0;     // mean F1 over all labels
  double exact_match = 0;  // every label right (accuracy_score on multi-label input)
  std::vector<LabelMetrics> per_label;
};

// probabilities: [N, L] floating; targets: [N, L] of 0/1 in any numeric dtype.
MultiLabelMetrics compute_multilabel_metrics(const Tensor& probabilities, const Tensor& targets,
                                             const std::vector<std::string>& label_names,
                                             double threshold = 0.5);

}  // namespace fovea::train
