// Classification metrics against reference numbers computed in Python. Each reference was
// computed with numpy from the textbook formulas (shown next to it), with AUC by counting
// positive/negative pairs (a different algorithm from train/metrics.cpp's sorted sweep),
// and cross-checked against scikit-learn 1.3.2:
//   precision_recall_fscore_support(y, pred, labels=range(C)), f1_score(..., average=
//   "macro"/"weighted", labels=range(C)), balanced_accuracy_score, top_k_accuracy_score,
//   confusion_matrix and roc_auc_score(y == k, S[:, k]) all gave the same values.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/ops/factory.h"
#include "tests/support/testing.h"
#include "train/metrics.h"

namespace fovea::train {
namespace {

using testing::error_of;

// 12 samples of 7 classes, scores on a 0.1 grid so that many tie:
// - row 1 ties classes 0 and 1 (argmax takes 0, the first);
// - class 2 has support 2 but is never predicted;
// - class 5 has no support but is predicted once (row 7);
// - class 6 has no support and no predictions.
const std::vector<float> kScores = {
    0.5f, 0.2f, 0.1f,  0.1f, 0.0f, 0.1f,  0.0f,  //
    0.3f, 0.3f, 0.2f,  0.1f, 0.1f, 0.0f,  0.0f,  //
    0.1f, 0.6f, 0.1f,  0.1f, 0.0f, 0.1f,  0.0f,  //
    0.2f, 0.2f, 0.25f, 0.3f, 0.0f, 0.05f, 0.0f,  //
    0.1f, 0.1f, 0.2f,  0.4f, 0.1f, 0.1f,  0.0f,  //
    0.4f, 0.1f, 0.3f,  0.1f, 0.0f, 0.1f,  0.0f,  //
    0.1f, 0.1f, 0.1f,  0.2f, 0.4f, 0.1f,  0.0f,  //
    0.1f, 0.1f, 0.1f,  0.1f, 0.1f, 0.5f,  0.0f,  //
    0.2f, 0.1f, 0.1f,  0.5f, 0.0f, 0.1f,  0.0f,  //
    0.1f, 0.5f, 0.1f,  0.2f, 0.0f, 0.1f,  0.0f,  //
    0.6f, 0.1f, 0.1f,  0.1f, 0.1f, 0.0f,  0.0f,  //
    0.2f, 0.1f, 0.1f,  0.1f, 0.3f, 0.1f,  0.1f,
};
const std::vector<int64_t> kLabels = {0, 1, 1, 2, 3, 2, 4, 4, 3, 0, 0, 1};
const std::vector<std::string> kNames = {"a", "b", "c", "d", "e", "f", "g"};

ClassificationMetrics case_metrics() {
  return compute_metrics(from_vector(kScores, {12, 7}), from_vector(kLabels, {12}), kNames);
}

TEST(Metrics, ConfusionMatrixRowsAreTrueClassesColumnsPredictions) {
  // pred = S.argmax(1) = [0 0 1 3 3 0 4 5 3 1 0 4]; cm[y, pred] += 1
  const std::vector<int64_t> expected = {
      2, 1, 0, 0, 0, 0, 0,  //
      1, 1, 0, 0, 1, 0, 0,  //
      1, 0, 0, 1, 0, 0, 0,  //
      0, 0, 0, 2, 0, 0, 0,  //
      0, 0, 0, 0, 1, 1, 0,  //
      0, 0, 0, 0, 0, 0, 0,  //
      0, 0, 0, 0, 0, 0, 0,
  };
  const ClassificationMetrics m = case_metrics();
  EXPECT_EQ(m.num_samples, 12);
  EXPECT_EQ(m.num_classes(), 7);
  EXPECT_EQ(m.confusion.counts, expected);
}

TEST(Metrics, PerClassPrecisionRecallF1MatchSklearnWithZeroDivisionZero) {
  // tp = diag(cm), support = cm.sum(1), predicted = cm.sum(0)
  // precision = tp / predicted, recall = tp / support, f1 = 2tp / (2tp + fp + fn), 0 if 0/0
  const std::vector<double> precision = {0.5, 0.5, 0.0, 2.0 / 3, 0.5, 0.0, 0.0};
  const std::vector<double> recall = {2.0 / 3, 1.0 / 3, 0.0, 1.0, 0.5, 0.0, 0.0};
  const std::vector<double> f1 = {0.5714285714285714, 0.4, 0.0, 0.8, 0.5, 0.0, 0.0};
  const std::vector<int64_t> support = {3, 3, 2, 2, 2, 0, 0};
  const std::vector<int64_t> predicted = {4, 2, 0, 3, 2, 1, 0};
  const ClassificationMetrics m = case_metrics();
  ASSERT_EQ(m.per_class.size(), 7u);
  for (size_t k = 0; k < 7; ++k) {
    SCOPED_TRACE("class " + std::to_string(k));
    EXPECT_EQ(m.per_class[k].name, kNames[k]);
    EXPECT_NEAR(m.per_class[k].precision, precision[k], 1e-12);
    EXPECT_NEAR(m.per_class[k].recall, recall[k], 1e-12);
    EXPECT_NEAR(m.per_class[k].f1, f1[k], 1e-12);
    EXPECT_EQ(m.per_class[k].support, support[k]);
    EXPECT_EQ(m.per_class[k].predicted, predicted[k]);
  }
}

TEST(Metrics, MacroAveragesIncludeClassesWithoutSupportOrPredictions) {
  const ClassificationMetrics m = case_metrics();
  // precision.mean(), recall.mean(), f1.mean() over all 7 classes. sklearn's f1_score
  // without labels=range(7) would drop class 6 and give 0.37857142857142856 instead.
  EXPECT_NEAR(m.macro_precision, 0.3095238095238095, 1e-12);
  EXPECT_NEAR(m.macro_recall, 0.35714285714285715, 1e-12);
  EXPECT_NEAR(m.macro_f1, 0.32448979591836735, 1e-12);
  // (f1 * support).sum() / support.sum()
  EXPECT_NEAR(m.weighted_f1, 0.4595238095238095, 1e-12);
  // recall[support > 0].mean(): classes 5 and 6 have no support and are left out
  EXPECT_NEAR(m.balanced_accuracy, 0.5, 1e-12);
}

TEST(Metrics, TopKBreaksTiesLikeArgmax) {
  // rank = #{j: s_j > s_t} + #{j < t: s_j == s_t} = [0 1 0 1 0 1 0 5 0 2 0 2]
  // top1 = (rank < 1).mean(), top5 = (rank < 5).mean()
  const ClassificationMetrics m = case_metrics();
  EXPECT_NEAR(m.accuracy, 0.5, 1e-12);
  ASSERT_TRUE(m.top5_accuracy.has_value());
  EXPECT_NEAR(*m.top5_accuracy, 11.0 / 12, 1e-12);
}

TEST(Metrics, TopFiveIsLeftOutWithFiveClassesOrFewer) {
  const Tensor scores =
      from_vector<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.0f, 0.9f, 0.0f, 0.1f, 0.0f, 0.0f}, {2, 5});
  const ClassificationMetrics m = compute_metrics(scores, from_vector<int64_t>({3, 2}, {2}), {});
  EXPECT_FALSE(m.top5_accuracy.has_value());
  EXPECT_EQ(m.per_class[4].name, "4");  // no names given: the indices
  EXPECT_NEAR(m.accuracy, 0.5, 1e-12);
}

TEST(Metrics, OneVsRestAucHandlesTiesAndExcludesClassesWithoutPositives) {
  // Pair counting: (sum(P > N) + 0.5 * sum(P == N)) / (|P| |N|) for column k, P = S[y == k].
  const std::vector<double> auc = {0.7407407407407407, 0.7407407407407407, 1.0, 1.0, 0.875};
  const ClassificationMetrics m = case_metrics();
  for (size_t k = 0; k < 5; ++k) EXPECT_NEAR(m.per_class[k].auc, auc[k], 1e-12) << "class " << k;
  EXPECT_TRUE(std::isnan(m.per_class[5].auc));
  EXPECT_TRUE(std::isnan(m.per_class[6].auc));
  EXPECT_EQ(m.auc_excluded_classes, 2);
  EXPECT_NEAR(m.macro_auc, 0.8712962962962962, 1e-12);  // np.nanmean(auc)
}

TEST(Metrics, BinaryRocAucOnSmallExamples) {
  const std::vector<uint8_t> y = {0, 0, 1, 1};
  // sklearn's roc_auc_score docstring example.
  EXPECT_NEAR(roc_auc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, y), 0.75, 1e-12);
  // Every score equal: the ROC curve is the diagonal.
  EXPECT_NEAR(roc_auc(std::vector<float>{0.3f, 0.3f, 0.3f, 0.3f}, y), 0.5, 1e-12);
  // Positives {0.5, 0.5} against negatives {0.5, 0.2}: two ties (1/2 each) and two wins.
  EXPECT_NEAR(roc_auc(std::vector<float>{0.5f, 0.2f, 0.5f, 0.5f}, y), 0.75, 1e-12);
  // Perfectly wrong.
  EXPECT_NEAR(roc_auc(std::vector<float>{0.9f, 0.8f, 0.2f, 0.1f}, y), 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<float>{0.1f, 0.2f}, std::vector<uint8_t>{1, 1})));
}

TEST(Metrics, AccumulatorOverBatchesEqualsOneCall) {
  MetricsAccumulator accumulator(7, kNames);
  const Tensor scores = from_vector(kScores, {12, 7});
  const Tensor labels = from_vector(kLabels, {12});
  accumulator.add_probabilities(scores.narrow(0, 0, 5), labels.narrow(0, 0, 5));
  accumulator.add_probabilities(scores.narrow(0, 5, 7), labels.narrow(0, 5, 7).to(DType::i32));
  EXPECT_EQ(accumulator.num_samples(), 12);
  const ClassificationMetrics whole = case_metrics();
  const ClassificationMetrics batched = accumulator.compute();
  EXPECT_EQ(batched.confusion, whole.confusion);
  EXPECT_EQ(batched.macro_f1, whole.macro_f1);
  EXPECT_EQ(batched.macro_auc, whole.macro_auc);
  accumulator.reset();
  EXPECT_EQ(accumulator.num_samples(), 0);
  EXPECT_NE(error_of([&] { accumulator.compute(); }).find("no samples"), std::string::npos);
}

TEST(Metrics, AccumulatorAppliesSoftmaxToLogits) {
  MetricsAccumulator accumulator(3);
  // Logits whose softmax is [0.2, 0.3, 0.5] up to rounding: log of those probabilities.
  const Tensor logits = from_vector<float>({std::log(0.2f), std::log(0.3f), std::log(0.5f),
                                            std::log(0.5f), std::log(0.3f), std::log(0.2f)},
                                           {2, 3});
  accumulator.add_logits(logits, from_vector<int64_t>({2, 1}, {2}));
  const std::vector<float>& p = accumulator.probabilities();
  ASSERT_EQ(p.size(), 6u);
  EXPECT_NEAR(p[0], 0.2f, 1e-6);
  EXPECT_NEAR(p[2], 0.5f, 1e-6);
  EXPECT_NEAR(p[3], 0.5f, 1e-6);
  EXPECT_NEAR(accumulator.compute().accuracy, 0.5, 1e-12);
}

TEST(Metrics, BadInputIsRefusedWithAClearMessage) {
  const Tensor scores = from_vector<float>({0.1f, 0.9f, 0.8f, 0.2f}, {2, 2});
  const Tensor labels = from_vector<int64_t>({1, 0}, {2});
  EXPECT_NE(error_of([&] {
              compute_metrics(scores, from_vector<int64_t>({1, 2}, {2}), {});
            }).find("label 2 of sample 1 is outside [0, 2)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              compute_metrics(scores.flatten(), labels, {});
            }).find("probabilities must be a 2-D floating tensor [N, C], got f32 [4]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              compute_metrics(scores, labels.to(DType::f32), {});
            }).find("labels must be a 1-D i64 or i32 tensor"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              compute_metrics(scores, labels.narrow(0, 0, 1), {});
            }).find("1 labels for 2 rows"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              compute_metrics(scores, labels, {"only one"});
            }).find("1 names given for 2 columns"),
            std::string::npos);
  const Tensor with_nan = from_vector<float>({0.1f, NAN, 0.8f, 0.2f}, {2, 2});
  EXPECT_NE(error_of([&] {
              compute_metrics(with_nan, labels, {});
            }).find("probability of sample 0 class 1 is nan"),
            std::string::npos);
  MetricsAccumulator accumulator(3);
  EXPECT_NE(error_of([&] {
              accumulator.add_probabilities(scores, labels);
            }).find("batch has 2 classes, expected 3"),
            std::string::npos);
}

TEST(Metrics, MultiLabelMatchesSklearn) {
  // 6 samples, 3 labels; label 2 is never positive; P[1, 1] is exactly the threshold.
  const Tensor p = from_vector<float>({0.9f, 0.2f, 0.1f, 0.6f, 0.5f, 0.3f, 0.4f, 0.7f, 0.2f,  //
                                       0.4f, 0.1f, 0.6f, 0.2f, 0.8f, 0.1f, 0.7f, 0.4f, 0.0f},
                                      {6, 3});
  const Tensor t =
      from_vector<float>({1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, {6, 3});
  const MultiLabelMetrics m = compute_multilabel_metrics(p, t, {"effusion", "edema", "mass"});
  // pred = P >= 0.5; tp = [2 3 0], fp = [1 0 1], fn = [1 0 0]; f1 = 2tp / (2tp + fp + fn)
  // f1_score(T, pred, average=None) = [0.667, 1, 0]; accuracy_score(T, pred) = 4/6
  ASSERT_EQ(m.per_label.size(), 3u);
  EXPECT_EQ(m.per_label[1].name, "edema");
  EXPECT_NEAR(m.per_label[0].f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(m.per_label[1].f1, 1.0, 1e-12);
  EXPECT_NEAR(m.per_label[2].f1, 0.0, 1e-12);
  EXPECT_NEAR(m.per_label[0].precision, 2.0 / 3, 1e-12);
  EXPECT_EQ(m.per_label[0].support, 3);
  EXPECT_NEAR(m.macro_f1, 5.0 / 9, 1e-12);
  EXPECT_NEAR(m.exact_match, 4.0 / 6, 1e-12);
  // roc_auc_score(T[:, k], P[:, k]) = 0.7222222222222222 (a 0.4/0.4 tie), 1.0; label 2 NaN
  EXPECT_NEAR(m.per_label[0].auc, 0.7222222222222222, 1e-12);
  EXPECT_NEAR(m.per_label[1].auc, 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(m.per_label[2].auc));
  EXPECT_EQ(m.auc_excluded_labels, 1);
  EXPECT_NEAR(m.mean_auc, 0.8611111111111112, 1e-12);

  const Tensor bad =
      from_vector<float>({2, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, {6, 3});
  EXPECT_NE(error_of([&] {
              compute_multilabel_metrics(p, bad, {});
            }).find("target of sample 0 label 0 is 2, expected 0 or 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              compute_multilabel_metrics(p, t.narrow(0, 0, 2), {});
            }).find("targets must have the probabilities' shape [6, 3], got [2, 3]"),
            std::string::npos);
}

}  // namespace
}  // namespace fovea::train
