// The configs and ablation plans the repository ships: each must load, pass the cross-field
// checks and name a model that exists, so that a typo in configs/ fails here rather than
// an hour into someone's GPU run.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "models/model.h"
#include "train/ablation.h"
#include "train/config.h"

namespace fovea::train {
namespace {

namespace fs = std::filesystem;

const fs::path kConfigs = fs::path(FOVEA_SOURCE_DIR) / "configs";

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml" && entry.path().parent_path().filename() != "ablations")
      files.push_back(entry.path());
  }
  return files;
}

TEST(ShippedConfigs, EveryConfigLoadsAndNamesAKnownModel) {
  const std::vector<fs::path> files = files_in(kConfigs);
  ASSERT_GE(files.size(), 25u) << "one config per seed model, plus the two bases";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    const TrainConfig config = load_config(file.string());
    EXPECT_NO_THROW(validate(config));
    EXPECT_NO_THROW(model_info(config.model.name));
  }
}

// Seed 000's recipe, as the issue spells it, for the seed models' configs.
TEST(ShippedConfigs, SeedModelConfigsFollowSeed000) {
  for (const char* name : {"convnext_tiny", "swin_tiny", "regnety_8gf", "efficientnet_b0"}) {
    SCOPED_TRACE(name);
    const TrainConfig config = load_config((kConfigs / (std::string(name) + ".yaml")).string());
    EXPECT_EQ(config.training.batch_size, 32);
    EXPECT_DOUBLE_EQ(config.training.lr, 3e-4);
    EXPECT_EQ(config.training.optimizer, OptimizerKind::adamw);
    EXPECT_EQ(config.training.epochs, 20);
    EXPECT_EQ(config.training.early_stopping.monitor, "val_macro_f1");
    EXPECT_EQ(config.training.early_stopping.patience, 5);
    EXPECT_EQ(config.data.img_size, 224);
  }
  EXPECT_EQ(load_config((kConfigs / "regnety_8gf.yaml").string()).model.name, "regnety_080");
}

// Every run of a plan, with the plan's settings applied as `fovea ablate` applies them.
std::vector<TrainConfig> expand(const AblationPlan& plan) {
  std::vector<TrainConfig> configs;
  for (const AblationRun& run : plan.runs) {
    TrainConfig config = load_config(plan.base_config);
    for (const auto& [key, value] : plan.common) apply_override(config, key + "=" + value);
    for (const auto& [key, value] : run.overrides) apply_override(config, key + "=" + value);
    validate(config);
    configs.push_back(config);
  }
  return configs;
}

TEST(ShippedConfigs, FashionMnistPlanRunsSixSmallModels) {
  const AblationPlan plan =
      load_ablation_plan((kConfigs / "ablations/fashion_mnist.yaml").string());
  const std::vector<TrainConfig> configs = expand(plan);
  ASSERT_EQ(configs.size(), 6u);
  std::set<std::string> models;
  for (const TrainConfig& config : configs) {
    models.insert(config.model.name);
    EXPECT_EQ(config.data.dataset, DatasetKind::fashion_mnist);
  }
  EXPECT_EQ(models, (std::set<std::string>{"logreg", "resnet18", "simple_cnn"}));
}

// Seed 004: five architectures at 224 with batch 128 and bf16, and EfficientNet-B0 at 64 and
// 128 with and without augmentation.
TEST(ShippedConfigs, ImageNet100PlanIsSeed004) {
  const AblationPlan plan = load_ablation_plan((kConfigs / "ablations/imagenet100.yaml").string());
  const std::vector<TrainConfig> configs = expand(plan);
  ASSERT_EQ(configs.size(), 9u);
  std::set<std::string> at_224;
  std::set<std::pair<int64_t, bool>> efficientnet_variants;
  for (const TrainConfig& config : configs) {
    EXPECT_EQ(config.training.batch_size, 128);
    EXPECT_EQ(config.training.amp, Amp::bf16);
    if (config.data.img_size == 224) {
      at_224.insert(config.model.name);
    } else {
      EXPECT_EQ(config.model.name, "efficientnet_b0");
      efficientnet_variants.insert({config.data.img_size, config.data.augment});
    }
  }
  EXPECT_EQ(at_224,
            (std::set<std::string>{"resnet50", "swin_tiny_patch4_window7_224", "efficientnet_b0",
                                   "vit_base_patch16_224", "mobilenetv3_large_100"}));
  EXPECT_EQ(efficientnet_variants.size(), 4u);
}

}  // namespace
}  // namespace fovea::train
