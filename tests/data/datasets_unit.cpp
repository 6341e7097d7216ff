// Datasets: IDX against the published Fashion-MNIST facts, the seeded validation split,
// and ImageFolder on a small tree of real files with bad ones among them.
#include <gtest/gtest.h>

#include <set>

#include "data/idx.h"
#include "data/image_folder.h"
#include "tests/data/data_test_util.h"

namespace fovea::data {
namespace {

using testing::TempDir;

ImageFolderOptions quiet(ColorMode color = ColorMode::rgb, std::filesystem::path class_map = {}) {
  ImageFolderOptions options;
  options.color = color;
  options.class_map = std::move(class_map);
  options.quiet = true;
  return options;
}

TEST(Idx, FashionMnistMatchesThePublishedFacts) {
  const auto train = fashion_mnist("train");
  const auto& test = testing::fashion_test();
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train->height(), 28);
  EXPECT_EQ(train->width(), 28);
  EXPECT_EQ(train->classes(), fashion_mnist_classes());
  EXPECT_EQ(train->classes()[9], "Ankle boot");
  EXPECT_EQ(train->class_counts(), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(test.class_counts(), std::vector<int64_t>(10, 1000));
  const Image first = train->load(0);
  EXPECT_EQ(first.height, 28);
  EXPECT_EQ(first.channels, 1);
  EXPECT_EQ(train->label(0), 9);  // the first training image is an ankle boot
  // Mean pixel of the training set, the normalisation constant used for it.
  double sum = 0;
  for (int64_t i = 0; i < train->size(); ++i) {
    for (uint8_t v : train->load(i).pixels) sum += v;
  }
  EXPECT_NEAR(sum / (60000.0 * 784 * 255), kFashionMnistMean, 1e-4);
}

TEST(Idx, ReadsUncompressedFilesAndRejectsOthers) {
  TempDir dir;
  // A 2-image idx3 and its idx1, written by hand.
  testing::write_bytes(dir / "img", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 8, 9, 10});
  testing::write_bytes(dir / "lab", {0, 0, 8, 1, 0, 0, 0, 2, 1, 0});
  const IdxDataset dataset(dir / "img", dir / "lab");
  EXPECT_EQ(dataset.size(), 2);
  EXPECT_EQ(dataset.load(1).pixels, (std::vector<uint8_t>{9, 10}));
  EXPECT_EQ(dataset.classes(), (std::vector<std::string>{"0", "1"}));
  testing::write_bytes(dir / "short", {0, 0, 8, 1, 0, 0, 0, 5, 1});
  EXPECT_THROW(
      {
        try {
          IdxDataset(dir / "img", dir / "short");
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("ends early"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
  testing::write_bytes(dir / "floats", {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  EXPECT_THROW(read_idx(dir / "floats"), Error);
}

TEST(Split, IsStratifiedDisjointAndSeeded) {
  const auto& test = testing::fashion_test();
  const Split split = split_train_validation(test, 0.1, 7);
  EXPECT_EQ(split.validation.size(), 1000u);
  EXPECT_EQ(split.train.size(), 9000u);
  std::vector<int64_t> per_class(10, 0);
  for (int64_t i : split.validation) ++per_class[test.label(i)];
  EXPECT_EQ(per_class, std::vector<int64_t>(10, 100));
  std::set<int64_t> all(split.train.begin(), split.train.end());
  all.insert(split.validation.begin(), split.validation.end());
  EXPECT_EQ(all.size(), 10000u);
  EXPECT_EQ(split_train_validation(test, 0.1, 7).validation, split.validation);
  EXPECT_NE(split_train_validation(test, 0.1, 8).validation, split.validation);
}

TEST(ImageFolder, ScansLikeTorchvisionWithoutDecoding) {
  TempDir dir;
  const testing::TestTree tree = testing::make_test_tree(dir.path());
  const ImageFolder folder(dir.path(), quiet());
  EXPECT_EQ(folder.classes(), (std::vector<std::string>{"A_upper", "a_lower", "b_bad", "c_empty"}));
  EXPECT_EQ(folder.size(), tree.files);
  EXPECT_EQ(folder.report().empty_classes, std::vector<std::string>{"c_empty"});
  ASSERT_EQ(folder.report().ignored_files.size(), 1u);
  EXPECT_EQ(folder.report().ignored_files[0].filename(), "notes.txt");
  EXPECT_EQ(folder.path(0).filename(), "0.png");
  EXPECT_EQ(folder.path(1).filename(), "1.PNG");
  EXPECT_EQ(folder.path(4).filename(), "1.bmp");  // a_lower/0.jpg, then a_lower/nested/
  EXPECT_EQ(folder.label(4), 1);
  EXPECT_EQ(folder.class_counts(), (std::vector<int64_t>{3, 2, 6, 0}));
  int64_t bad = 0;
  for (int64_t i = 0; i < folder.size(); ++i) {
    try {
      const Image image = folder.load(i);
      EXPECT_EQ(image.channels, 3);  // the grayscale PNG is expanded
    } catch (const DecodeError& e) {
      EXPECT_NE(std::string(e.what()).find(folder.path(i).string()), std::string::npos);
      ++bad;
    }
  }
  EXPECT_EQ(bad, tree.bad_files);
}

TEST(ImageFolder, GrayscaleCanBeKept) {
  TempDir dir;
  testing::make_test_tree(dir.path());
  const ImageFolder folder(dir.path(), quiet(ColorMode::keep));
  EXPECT_EQ(folder.load(0).channels, 3);
  EXPECT_EQ(folder.load(1).channels, 1);
  EXPECT_EQ(folder.load(1), testing::fashion_test().load(1));
}

TEST(ImageFolder, ClassMapsRoundTripAndRelabel) {
  TempDir dir;
  testing::make_test_tree(dir / "train");
  const ImageFolder train(dir / "train", quiet());
  train.write_class_map(dir / "classes.json");
  EXPECT_EQ(read_class_map(dir / "classes.json"), train.classes());
  write_class_map(dir / "reversed.json", {"c_empty", "b_bad", "a_lower", "A_upper", "extra"});
  const ImageFolder relabelled(dir / "train", quiet(ColorMode::rgb, dir / "reversed.json"));
  EXPECT_EQ(relabelled.num_classes(), 5);
  EXPECT_EQ(relabelled.label(0), 3);  // A_upper/0.png
  EXPECT_EQ(relabelled.report().empty_classes, (std::vector<std::string>{"c_empty", "extra"}));
  write_class_map(dir / "partial.json", {"A_upper", "a_lower"});
  try {
    ImageFolder(dir / "train", quiet(ColorMode::rgb, dir / "partial.json"));
    FAIL() << "a folder missing from the class map must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'b_bad'"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, MissingOrClasslessRootsAreClearErrors) {
  TempDir dir;
  try {
    ImageFolder(dir / "nowhere");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  testing::write_bytes(dir / "loose.jpg", {1, 2, 3});
  try {
    ImageFolder(dir.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no class folders"), std::string::npos) << e.what();
  }
  std::filesystem::create_directories(dir / "only_empty");
  EXPECT_THROW(ImageFolder(dir.path()), Error);
}

}  // namespace
}  // namespace fovea::data
