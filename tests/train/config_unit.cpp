// Training configs: every key checked, with errors that name the file, line and key and
// suggest the closest valid key; choices parsed into enums once; --set overrides; INI
// files in the seeds' style; config.yaml with each key's help; `fovea train --help-config`.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/testing.h"
#include "train/config.h"

namespace fovea::train {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

using testing::error_of;

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
  c.data.dataset = DatasetKind::imagefolder;
  EXPECT_NE(error_of([&] { validate(c); }).find("data.root"), std::string::npos);
  c = TrainConfig{};
  c.training.warmup_epochs = 30;
  EXPECT_NE(error_of([&] { validate(c); }).find("warmup_epochs"), std::string::npos);
  EXPECT_NO_THROW(validate(TrainConfig{}));
}

TEST(Config, SectionsStartFromTheListsDefaults) {
  const TrainingSection t;
  EXPECT_EQ(t.epochs, 20);
  EXPECT_EQ(t.schedule, ScheduleKind::cosine);
  EXPECT_DOUBLE_EQ(t.beta2, 0.999);
  EXPECT_EQ(t.early_stopping.mode, MonitorMode::max);
  EXPECT_EQ(t.device, DeviceChoice{});
  EXPECT_EQ(DataSection().crop_scale, (std::vector<double>{0.08, 1.0}));
  EXPECT_EQ(ModelSection().name, "simple_cnn");
  EXPECT_EQ(to_yaml(load_config(write_temp("empty.yaml", ""))), [] {
    TrainConfig defaults;
    defaults.output.run_name = "empty";
    return to_yaml(defaults);
  }());
}

TEST(Config, ChoicesBecomeEnumsWhenTheConfigLoads) {
  const TrainConfig c = load_config(write_temp("choices.yaml", R"(
data:
  dataset: packed
  root: /data
  normalize: imagenet
  sampler: class_balanced
training:
  optimizer: sgd
  schedule: plateau
  loss: focal
  class_weights: balanced
  amp: bf16
  device: cuda:1
  early_stopping:
    mode: min
)"));
  EXPECT_EQ(c.data.dataset, DatasetKind::packed);
  EXPECT_EQ(c.data.normalize, Normalize::imagenet);
  EXPECT_EQ(c.data.sampler, data::SamplerKind::class_balanced);
  EXPECT_EQ(c.training.optimizer, OptimizerKind::sgd);
  EXPECT_EQ(c.training.schedule, ScheduleKind::plateau);
  EXPECT_EQ(c.training.loss, LossKind::focal);
  EXPECT_EQ(c.training.class_weights, ClassWeighting::balanced);
  EXPECT_EQ(c.training.amp, Amp::bf16);
  EXPECT_EQ(c.training.device, (DeviceChoice{.device = Device::cuda(1)}));
  EXPECT_EQ(c.training.early_stopping.mode, MonitorMode::min);

  TrainConfig d;
  apply_override(d, "training.device=auto");
  EXPECT_TRUE(d.training.device.automatic);
  EXPECT_EQ(d.training.device.name(), "auto");
  apply_override(d, "training.device=cuda");
  EXPECT_EQ(d.training.device.device, Device::cuda(0));
  EXPECT_EQ(d.training.device.name(), "cuda:0");
  EXPECT_EQ(DeviceChoice{}.resolve(), Device::cpu());
}

// Loading `text` as file `name` fails with an error that names the file and `line` and
// contains `what`.
void expect_load_error(const std::string& name, const std::string& text, int line,
                       const std::string& what) {
  const std::string path = write_temp(name, text);
  const std::string message = error_of([&] { load_config(path); });
  EXPECT_NE(message.find(fmt::format("{}:{}", path, line)), std::string::npos) << message;
  EXPECT_NE(message.find(what), std::string::npos) << message;
}

TEST(Config, ABadChoiceNamesFileLineKeyAndTheChoices) {
  expect_load_error("bad_choice.yaml", "training:\n  epochs: 3\n  amp: fp32\n", 3,
                    "'training.amp' must be one of off, bf16, fp16, got 'fp32'");
  expect_load_error("bad_mode.yaml",
                    "training:\n  early_stopping:\n    monitor: val_loss\n    mode: lowest\n", 4,
                    "'training.early_stopping.mode' must be one of max, min, got 'lowest'");
  expect_load_error("bad_device.yaml", "training:\n  device: gpu\n", 2,
                    "'training.device' must be auto, cpu, cuda or cuda:N, got 'gpu'");
  expect_load_error("list_choice.yaml", "data:\n  sampler: [shuffle]\n", 2,
                    "'data.sampler' must be one of shuffle, class_balanced, got a list");
  expect_load_error("bad_choice.ini", "[TRAINING]\nN_EPOCHS = 3\nOPTIMIZER = adam\n", 3,
                    "'training.optimizer' must be one of adamw, sgd, got 'adam'");

  TrainConfig c;
  const std::string set_message = error_of([&] { apply_override(c, "training.loss=mse"); });
  EXPECT_NE(set_message.find("--set training.loss=mse"), std::string::npos) << set_message;
  EXPECT_NE(set_message.find("'training.loss' must be one of cross_entropy, focal, bce, got 'mse'"),
            std::string::npos)
      << set_message;
  EXPECT_NE(error_of([&] { apply_override(c, "training.device=cuda:x"); }).find("cuda:N"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_override(c, "data.dataset=ImageFolder");
            }).find("must be one of fashion_mnist, imagefolder, packed"),
            std::string::npos);
}

// config.yaml in an output folder: every key followed by its help, and loading it back gives
// the same configuration, values that need quoting and inexact doubles included.
TEST(Config, TheWrittenConfigCarriesTheHelpAndLoadsBackTheSame) {
  TrainConfig c;
  for (const char* assignment :
       {"model.freeze=[stem, 'stages.0']", "data.dataset=imagefolder", "data.root=/data/my set",
        "data.crop_scale=[0.3, 0.9]", "data.randaugment=rand-m9-mstd0.5",
        "data.sampler=class_balanced", "training.lr=0.30000000000000004", "training.eps=1e-10",
        "training.schedule=multistep", "training.milestones=[3, 6]", "training.loss=focal",
        "training.class_weights=given", "training.class_weight_values=[1, 0.5]",
        "training.amp=fp16", "training.device=cuda:1", "training.early_stopping.mode=min",
        "training.seed=18446744073709551615", "output.run_name='a #b: c'", "output.dir=''"}) {
    apply_override(c, assignment);
  }
  const std::string yaml = to_yaml(c);
  const std::string path = write_temp("written_config.yaml", yaml);
  const TrainConfig back = load_config(path);
  EXPECT_EQ(to_yaml(back), yaml);
  EXPECT_EQ(back.training.lr, 0.30000000000000004);
  EXPECT_EQ(back.training.eps, 1e-10);
  EXPECT_EQ(back.training.seed, 18446744073709551615u);
  EXPECT_EQ(back.training.device, (DeviceChoice{.device = Device::cuda(1)}));
  EXPECT_EQ(back.training.amp, Amp::fp16);
  EXPECT_EQ(back.training.class_weight_values, (std::vector<double>{1, 0.5}));
  EXPECT_EQ(back.data.root, "/data/my set");
  EXPECT_EQ(back.model.freeze, (std::vector<std::string>{"stem", "stages.0"}));
  EXPECT_EQ(back.output.run_name, "a #b: c");

  EXPECT_NE(yaml.find("\n  lr: 0.30000000000000004  # peak learning rate"), std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("\n    mode: min  # max: a larger monitored value is better"),
            std::string::npos)
      << yaml;
  // Every key's line ends in a comment.
  for (const std::string& key : config_keys()) {
    const std::string leaf = key.substr(key.rfind('.') + 1);
    const size_t depth = static_cast<size_t>(std::count(key.begin(), key.end(), '.'));
    const std::string start = "\n" + std::string(2 * depth, ' ') + leaf + ": ";
    const size_t at = yaml.find(start);
    ASSERT_NE(at, std::string::npos) << key;
    const std::string line = yaml.substr(at + 1, yaml.find('\n', at + 1) - at - 1);
    EXPECT_NE(line.find("  # "), std::string::npos) << key << ": " << line;
  }
}

// `fovea train --help-config` prints config_help(), in which every key has its rule, its
// default and a help text. The test runs the binary built next to the test (tests/CMakeLists.txt
// makes the test executable depend on it).
TEST(Config, HelpConfigListsEveryKeyWithItsHelp) {
  const std::string command = std::string(FOVEA_BINARY_DIR) + "/fovea train --help-config 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr) << command;
  std::string output;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << output;
  EXPECT_EQ(output, config_help());

  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  for (const char* section : {"model:", "data:", "training:", "output:"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), section), lines.end()) << section;
  }
  for (const std::string& key : config_keys()) {
    const auto at = std::find_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return line.rfind("  " + key + "  (", 0) == 0;
    });
    ASSERT_NE(at, lines.end()) << key << " is not listed";
    EXPECT_NE(at->find("; default "), std::string::npos) << *at;
    ASSERT_NE(at + 1, lines.end()) << key;
    const std::string& help = *(at + 1);
    EXPECT_TRUE(help.rfind("      ", 0) == 0 && help.size() > 16) << key << " has no help";
  }
  EXPECT_NE(output.find("  training.lr  (a number in [0, 10]; default 0.0003)\n      peak "
                        "learning rate"),
            std::string::npos);
  EXPECT_NE(output.find("  training.optimizer  (one of adamw, sgd; default adamw)"),
            std::string::npos);
  EXPECT_NE(output.find("  training.device  (auto, cpu, cuda or cuda:N; default cpu)"),
            std::string::npos);
}

}  // namespace
}  // namespace fovea::train
