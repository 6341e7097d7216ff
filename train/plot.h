#pragma once
// PNG charts of a run, drawn with cairo (Debian's libcairo2): the confusion matrix, the
// training curves and the grouped bars of an ablation study. Each function writes its PNG
// atomically and returns the image's size in pixels, which depends on the content (the
// number of classes, the length of the names).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/image.h"
#include "engine/tensor.h"

#include "train/metrics.h"
#include "train/report.h"

namespace fovea::train {

struct PlotSize {
  int width = 0;
  int height = 0;
};

// A heat map coloured by the fraction of each true class (row-normalised, so that small
// classes are as visible as large ones), with the count in each cell and the row
// percentage under it while the cells are large enough; from about 30 classes on, the
// cells are too small for text and only the colours remain. Class names label both axes
// (rotated under the x axis) and are shortened with an ellipsis past 24 characters.
PlotSize plot_confusion_matrix(const std::filesystem::path& path, const ConfusionMatrix& matrix,
                               const std::vector<std::string>& class_names,
                               const std::string& title);

struct CurvesOptions {
  std::string title;       // e.g. the run's name
  int64_t best_epoch = 0;  // marked with a dashed line when > 0
};

// Two panels against epoch: the train and validation loss, and the train accuracy,
// validation accuracy and validation macro-F1. Series that are all NaN are left out;
// a NaN inside a series breaks its line.
PlotSize plot_curves(const std::filesystem::path& path, const std::vector<EpochRecord>& history,
                     const CurvesOptions& options = {});

struct BarSeries {
  std::string name;            // the legend entry, e.g. "final val acc"
  std::vector<double> values;  // one per group; NaN draws no bar and "n/a"
};

struct BarOptions {
  std::string title;
  std::string y_label;
  int decimals = 3;  // of the value printed above each bar
};

// Grouped bars: one group per label (e.g. a run of the ablation), one bar per series in
// each group, its value printed above it. The y axis starts at 0.
PlotSize plot_bars(const std::filesystem::path& path, const std::vector<std::string>& labels,
                   const std::vector<BarSeries>& series, const BarOptions& options = {});

// The image beside the image overlaid with an attention heat map ([h, w], any scale;
// stretched over the image with bilinear filtering), for `fovea attention`.
PlotSize plot_attention_overlay(const std::filesystem::path& path, const data::Image& image,
                                const Tensor& heat, const std::string& title);

}  // namespace fovea::train
