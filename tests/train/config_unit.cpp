// Training configs: every key checked, with errors that name the file, line and key and
// suggest the closest valid key; --set overrides; INI files in the seeds' style.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/testing.h"
#include "train/config.h"

namespace fovea::train {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Config, LoadsYamlOverTheDefaults) {
  const std::string path = write_temp("convnext_tiny.yaml", R"(
model:
  name: convnext_tiny
  freeze: [stem, stages.0]
training:
  lr: 3.0e-4
  epochs: 20
  early_stopping:
    monitor: val_macro_f1
    patience: 5
)");
  const TrainConfig c = load_config(path);
  EXPECT_EQ(c.model.name, "convnext_tiny");
  EXPECT_EQ(c.model.freeze, (std::vector<std::string>{"stem", "stages.0"}));
  EXPECT_DOUBLE_EQ(c.training.lr, 3e-4);
  EXPECT_EQ(c.training.early_stopping.patience, 5);
  EXPECT_EQ(c.training.batch_size, 32);  // default
  EXPECT_EQ(c.output.run_name, "convnext_tiny");
}

TEST(Config, UnknownKeysNameFileLineAndTheClosestKey) {
  const std::string path = write_temp("typo.yaml", "training:\n  epochs: 3\n  lerning_rate: 0.1\n");
  const std::string message = error_of([&] { load_config(path); });
  EXPECT_NE(message.find(path + ":3"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key 'training.lerning_rate'"), std::string::npos) << message;
  const std::string message2 =
      error_of([&] { load_config(write_temp("typo2.yaml", "trainig:\n  lr: 0.1\n")); });
  EXPECT_NE(message2.find("did you mean"), std::string::npos) << message2;
  const std::string message3 =
      error_of([&] { load_config(write_temp("typo3.yaml", "training:\n  optimiser: sgd\n")); });
  EXPECT_NE(message3.find("did you mean 'training.optimizer'"), std::string::npos) << message3;
}

TEST(Config, WrongTypesAndRangesSayWhatIsExpected) {
  auto message = [](const std::string& yaml) {
    return error_of([&] { load_config(write_temp("bad.yaml", yaml)); });
  };
  EXPECT_NE(message("training:\n  lr: fast\n").find("'training.lr' must be a number, got 'fast'"),
            std::string::npos);
  EXPECT_NE(message("training:\n  epochs: 2.5\n").find("must be an integer"), std::string::npos);
  EXPECT_NE(message("training:\n  optimizer: adam\n").find("must be one of adamw, sgd"),
            std::string::npos);
  EXPECT_NE(message("data:\n  hflip: 1.5\n").find("must be in [0, 1]"), std::string::npos);
  EXPECT_NE(message("training: 3\n").find("is a section"), std::string::npos);
  EXPECT_NE(message("training:\n  lr: [1\n").find("YAML syntax error"), std::string::npos);
  EXPECT_NE(message("model:\n  freeze: {a: 1}\n").find("must be a list"), std::string::npos);
}

TEST(Config, OverridesAndTheWrittenConfigRoundTrip) {
  TrainConfig c;
  apply_override(c, "training.lr=1e-3");
  apply_override(c, "model.freeze=[stem]");
  apply_override(c, "training.early_stopping.mode=min");
  EXPECT_DOUBLE_EQ(c.training.lr, 1e-3);
  EXPECT_NE(error_of([&] { apply_override(c, "training.lr"); }).find("expected key=value"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_override(c, "training.batchsize=3");
            }).find("did you mean 'training.batch_size'"),
            std::string::npos);
  c.output.run_name = "roundtrip";
  const std::string path = write_temp("roundtrip.yaml", to_yaml(c));
  const TrainConfig back = load_config(path);
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_EQ(back.model.freeze, (std::vector<std::string>{"stem"}));
}

TEST(Config, SeedStyleIniFiles) {
  const std::string path = write_temp("seed.ini", R"(
[MODEL]
MODEL_ARCH = custom1   ; the seeds' small CNN

[TRAINING]
BATCH_SIZE = 64
LEARNING_RATE = 0.01
N_EPOCHS = 20
PATIENCE = 15
OPTIMIZER = adamw
ACCUMULATION_STEPS = 4
)");
  const TrainConfig c = load_config(path);
  EXPECT_EQ(c.model.name, "simple_cnn");
  EXPECT_EQ(c.training.batch_size, 64);
  EXPECT_DOUBLE_EQ(c.training.lr, 0.01);
  EXPECT_EQ(c.training.early_stopping.patience, 15);
  EXPECT_EQ(c.training.accumulation_steps, 4);
  const std::string bad = write_temp("bad.ini", "[TRAINING]\nBATCH_SIZ = 3\n");
  const std::string message = error_of([&] { load_config(bad); });
  EXPECT_NE(message.find(bad + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'training.batch_size'"), std::string::npos) << message;
  const std::string pretrained = write_temp("pre.ini", "[MODEL]\nPRETRAINED = true\n");
  EXPECT_NE(error_of([&] { load_config(pretrained); }).find("PRETRAINED_PATH"), std::string::npos);
}

TEST(Config, CrossFieldChecks) {
  TrainConfig c;
  c.data.dataset = "imagefolder";
  EXPECT_NE(error_of([&] { validate(c); }).find("data.root"), std::string::npos);
  c = TrainConfig{};
  c.training.warmup_epochs = 30;
  EXPECT_NE(error_of([&] { validate(c); }).find("warmup_epochs"), std::string::npos);
  EXPECT_NO_THROW(validate(TrainConfig{}));
}

}  // namespace
}  // namespace fovea::train
