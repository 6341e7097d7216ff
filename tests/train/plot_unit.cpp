// The PNG charts: they decode (with stb_image, independently of cairo), have the size the
// functions report, and hold the colours of what they were asked to draw.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/decode.h"
#include "tests/data/data_test_util.h"
#include "tests/support/testing.h"
#include "train/plot.h"

namespace fovea::train {
namespace {

using data::testing::TempDir;

struct Rgb {
  int r, g, b;
};
constexpr Rgb kTableauBlue{0x1f, 0x77, 0xb4}, kTableauOrange{0xff, 0x7f, 0x0e},
    kTableauGreen{0x2c, 0xa0, 0x2c};
constexpr Rgb kBluesFull{0x08, 0x30, 0x6b}, kBluesEmpty{0xf7, 0xfb, 0xff};

data::Image load(const std::filesystem::path& path, PlotSize size) {
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  data::Image image = data::read_image(path, data::ColorMode::rgb);
  EXPECT_EQ(image.width, size.width);
  EXPECT_EQ(image.height, size.height);
  return image;
}

// Pixels of exactly this colour (antialiased edges blend, but fills keep it exactly).
int64_t pixels_of(const data::Image& image, Rgb c) {
  int64_t n = 0;
  for (size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
    n += image.pixels[i] == c.r && image.pixels[i + 1] == c.g && image.pixels[i + 2] == c.b;
  }
  return n;
}

size_t distinct_colours(const data::Image& image) {
  std::set<uint32_t> colours;
  for (size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
    colours.insert(image.pixels[i] << 16 | image.pixels[i + 1] << 8 | image.pixels[i + 2]);
  }
  return colours.size();
}

using testing::error_of;

TEST(Plot, ConfusionMatrixOfTenClasses) {
  TempDir dir;
  ConfusionMatrix m(10);
  for (int64_t t = 0; t < 10; ++t) {
    m.at(t, t) = 90;
    if (t > 0) m.at(t, (t + 3) % 10) = 10;  // row 0 stays 100% correct
  }
  const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                          "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                          "Bag",         "Ankle boot"};
  const PlotSize size = plot_confusion_matrix(dir / "cm.png", m, names, "Fashion-MNIST");
  EXPECT_GE(size.width, 10 * 64);  // 64-pixel cells
  EXPECT_LE(size.width, 1200);
  const data::Image image = load(dir / "cm.png", size);
  // Row 0's diagonal cell (100%) takes the darkest colour of the map, the empty cells the
  // lightest; 64x64 cells minus the number drawn on them.
  EXPECT_GT(pixels_of(image, kBluesFull), 64 * 64 / 2 * 1);
  EXPECT_GT(pixels_of(image, kBluesEmpty), 80 * 64 * 64 / 2);
  EXPECT_GT(distinct_colours(image), 50u);  // text, colour bar, blends
}

TEST(Plot, ConfusionMatrixOfAHundredClassesStaysLegible) {
  TempDir dir;
  ConfusionMatrix m(100);
  std::vector<std::string> names;
  for (int64_t t = 0; t < 100; ++t) {
    m.at(t, t) = 40;
    m.at(t, (t * 7) % 100) += 10;
    names.push_back("n0" + std::to_string(1440764 + 1000 * t) + " a rather long class name");
  }
  const PlotSize size = plot_confusion_matrix(dir / "cm100.png", m, names, "ImageNet-100");
  EXPECT_GE(size.width, 100 * 16);  // cells of at least 16 pixels
  EXPECT_LE(size.width, 2400);
  const data::Image image = load(dir / "cm100.png", size);
  EXPECT_GT(distinct_colours(image), 50u);
  EXPECT_GT(pixels_of(image, kBluesEmpty), 9000 * 16 * 16 / 2);
}

TEST(Plot, ConfusionMatrixChecksItsInput) {
  TempDir dir;
  EXPECT_NE(error_of([&] {
              plot_confusion_matrix(dir / "x.png", ConfusionMatrix(3), {"a"}, "");
            }).find("1 names given for 3 classes"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              plot_confusion_matrix(dir / "x.png", ConfusionMatrix(), {}, "");
            }).find("the matrix must be [C, C] with C > 0"),
            std::string::npos);
}

std::vector<EpochRecord> history(int64_t epochs, bool with_f1) {
  std::vector<EpochRecord> rows;
  for (int64_t e = 1; e <= epochs; ++e) {
    EpochRecord r;
    r.epoch = e;
    r.train_loss = 2.0 / e;
    r.val_loss = 2.2 / e + 0.01 * e;
    r.train_acc = 1 - 0.5 / e;
    r.val_acc = 0.95 - 0.5 / e;
    r.val_macro_f1 = with_f1 ? 0.94 - 0.5 / e : kNotMeasured;
    rows.push_back(r);
  }
  return rows;
}

TEST(Plot, CurvesDrawEverySeriesThatHasValues) {
  TempDir dir;
  const PlotSize size = plot_curves(dir / "curves.png", history(12, true), {"run", 8});
  EXPECT_EQ(size.width, 1440);
  EXPECT_EQ(size.height, 550);
  const data::Image image = load(dir / "curves.png", size);
  EXPECT_GT(pixels_of(image, kTableauBlue), 200);    // train
  EXPECT_GT(pixels_of(image, kTableauOrange), 200);  // val
  EXPECT_GT(pixels_of(image, kTableauGreen), 100);   // val macro-F1
  // Without macro-F1 values the green series (and its legend entry) is not drawn at all.
  const PlotSize without = plot_curves(dir / "no_f1.png", history(12, false));
  EXPECT_EQ(pixels_of(load(dir / "no_f1.png", without), kTableauGreen), 0);
  // A single epoch still makes a chart (markers, no lines).
  const PlotSize one = plot_curves(dir / "one.png", history(1, true));
  EXPECT_GT(pixels_of(load(dir / "one.png", one), kTableauOrange), 10);
  EXPECT_NE(error_of([&] { plot_curves(dir / "none.png", {}); }).find("the history has no epochs"),
            std::string::npos);
}

TEST(Plot, GroupedBars) {
  TempDir dir;
  const PlotSize size = plot_bars(
      dir / "bars.png", {"EfficientNet B0 64x64", "EfficientNet B0 128x128", "128x128 + aug"},
      {{"final train acc", {0.348, 0.61, 0.552}}, {"final val acc", {0.316, 0.58, 0.557}}},
      {"Ablation", "accuracy", 3});
  EXPECT_GE(size.width, 560);
  const data::Image image = load(dir / "bars.png", size);
  // Bars are 40 pixels wide (38 filled); the 380-pixel axis ends at the tick 0.8 (steps of
  // 0.2, the first tick above 0.61 plus head room for the value labels).
  EXPECT_GT(pixels_of(image, kTableauBlue), 38 * 380 * (0.348 + 0.61 + 0.552) / 0.8 * 0.9);
  EXPECT_GT(pixels_of(image, kTableauOrange), 38 * 380 * (0.316 + 0.58 + 0.557) / 0.8 * 0.9);
  EXPECT_LT(pixels_of(image, kTableauBlue), 40 * 380 * (0.348 + 0.61 + 0.552) / 0.8 + 400);
  EXPECT_NE(error_of([&] {
              plot_bars(dir / "x.png", {"a", "b"}, {{"s", {1.0}}});
            }).find("series 's' has 1 values for 2 labels"),
            std::string::npos);
}

}  // namespace
}  // namespace fovea::train
