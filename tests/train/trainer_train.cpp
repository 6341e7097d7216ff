// The `train` tier: the Trainer on real Fashion-MNIST data (Debian's dataset-fashion-mnist),
// on the CPU, with runs made small (a few thousand images) so the tier takes a minute or two.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/decode.h"
#include "engine/determinism.h"
#include "engine/engine.h"
#include "train/config.h"
#include "train/trainer.h"

namespace fovea::train {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(FOVEA_BINARY_DIR) / "test_outputs" / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

// simple_cnn on 2,048 training and 1,000 validation/test images: seconds per epoch.
TrainConfig small_config(const fs::path& out) {
  TrainConfig config =
      load_config(std::string(FOVEA_SOURCE_DIR) + "/configs/fashion_mnist/base.yaml");
  for (const char* assignment :
       {"data.max_train_samples=2048", "data.max_eval_samples=500", "data.workers=2",
        "training.epochs=2", "training.batch_size=64", "training.warmup_epochs=0",
        "training.early_stopping.patience=0"}) {
    apply_override(config, assignment);
  }
  apply_override(config, "output.dir=" + out.string());
  return config;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream split(line);
    for (std::string cell; std::getline(split, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

TEST(Trainer, ShortRunLearnsAndWritesEveryOutput) {
  const fs::path out = fresh_dir("short_run");
  Trainer trainer(small_config(out), {.quiet = true});
  const RunSummary summary = trainer.run();

  // Learning: the second epoch's loss is below the first's, and validation accuracy is far
  // above chance (0.1 for ten classes).
  const auto history = read_csv(out / "history.csv");
  ASSERT_EQ(history.size(), 3u) << "a header and one row per epoch";
  const auto& header = history[0];
  const size_t loss_column = std::find(header.begin(), header.end(), "train_loss") - header.begin();
  ASSERT_LT(loss_column, header.size()) << "history.csv has no train_loss column";
  EXPECT_LT(std::stod(history[2][loss_column]), std::stod(history[1][loss_column]));
  ASSERT_TRUE(summary.validation.has_value() && summary.validation->classification);
  EXPECT_GT(summary.validation->classification->accuracy, 0.70);
  ASSERT_TRUE(summary.test.has_value());
  EXPECT_EQ(summary.epochs_run, 2);

  // Every output exists and parses.
  for (const char* name :
       {"best_model.safetensors", "last.safetensors", "checkpoint.safetensors", "config.yaml",
        "metrics.json", "history.csv", "confusion_matrix.png", "curves.png"}) {
    EXPECT_TRUE(fs::exists(out / name)) << name;
  }
  const nlohmann::json metrics = nlohmann::json::parse(std::ifstream(out / "metrics.json"));
  EXPECT_TRUE(metrics.contains("test")) << metrics.dump().substr(0, 300);
  EXPECT_TRUE(metrics.contains("validation"));
  const TrainConfig written = load_config((out / "config.yaml").string());
  EXPECT_EQ(written.model.name, "simple_cnn");
  EXPECT_EQ(written.training.epochs, 2);
  const TensorMap best = load_safetensors((out / "best_model.safetensors").string()).tensors;
  EXPECT_EQ(best.size(), trainer.model().state_dict().size());
  for (const char* png : {"confusion_matrix.png", "curves.png"}) {
    const data::Image image = data::read_image((out / png).string(), data::ColorMode::rgb);
    EXPECT_GT(image.width, 400) << png;
    EXPECT_GT(image.height, 300) << png;
  }
}

// Issue 11: the loss, the accuracy count and the gradient summary stay on the device
// until the optimizer step, which reads them in one go, also with gradient accumulation
// and clipping. The counter sees the calls a GPU would wait on (item(), to_vector()).
TEST(Trainer, EachOptimizerStepReadsTheDeviceOnce) {
  const fs::path out = fresh_dir("one_read_per_step");
  TrainConfig config = small_config(out);
  for (const char* assignment :
       {"data.max_train_samples=512", "training.epochs=1", "training.accumulation_steps=2",
        "training.clip_grad_norm=1.0", "training.deterministic=false"}) {
    apply_override(config, assignment);
  }
  ASSERT_TRUE(deterministic_algorithms()) << "on by default";
  Trainer trainer(config, {.quiet = true});
  const RunSummary summary = trainer.run();
  EXPECT_FALSE(deterministic_algorithms()) << "the trainer sets training.deterministic";
  set_deterministic_algorithms(true);
  EXPECT_EQ(summary.max_host_syncs_per_step, 1);
  EXPECT_TRUE(std::isfinite(summary.final_train_loss));
  const nlohmann::json metrics = nlohmann::json::parse(std::ifstream(out / "metrics.json"));
  EXPECT_EQ(metrics["training"]["max_host_syncs_per_step"], 1) << metrics["training"].dump();
}

// Issue 13: --profile-steps N profiles N optimizer steps after the first and writes the
// per-op table into the run folder.
TEST(Trainer, ProfileStepsWritesThePerOpTable) {
  const fs::path out = fresh_dir("profile_steps");
  TrainConfig config = small_config(out);
  apply_override(config, "data.max_train_samples=512");
  apply_override(config, "training.epochs=1");
  Trainer trainer(config, {.quiet = true, .profile_steps = 3});
  trainer.run();
  std::ifstream in(out / "profile.txt");
  ASSERT_TRUE(in.good()) << "no profile.txt in " << out;
  const std::string table((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* text : {"profile of 3 training steps", "conv2d", "forward", "backward",
                           "optimizer", "over 3 steps", "account for"}) {
    EXPECT_NE(table.find(text), std::string::npos) << text << " missing from\n" << table;
  }
}

// Runs `fovea train` in a child process (on `omp_threads` OpenMP threads when given);
// returns its pid.
pid_t spawn_fovea(const std::vector<std::string>& args, int omp_threads = 0) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (omp_threads > 0) setenv("OMP_NUM_THREADS", std::to_string(omp_threads).c_str(), 1);
    std::vector<char*> argv;
    const std::string binary = std::string(FOVEA_BINARY_DIR) + "/fovea";
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

std::vector<std::string> train_args(const fs::path& out) {
  return {"train",
          "--quiet",
          "--config",
          std::string(FOVEA_SOURCE_DIR) + "/configs/fashion_mnist/base.yaml",
          "--set",
          "data.max_train_samples=1024",
          "data.max_eval_samples=300",
          "training.epochs=2",
          "training.batch_size=64",
          "output.checkpoint_every_steps=4",
          "training.early_stopping.patience=0",
          "output.dir=" + out.string()};
}

void expect_same_weights(const fs::path& a_dir, const fs::path& b_dir, const std::string& why) {
  const TensorMap a = load_safetensors((a_dir / "last.safetensors").string()).tensors;
  const TensorMap b = load_safetensors((b_dir / "last.safetensors").string()).tensors;
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    const Tensor diff = abs(sub(tensor.to(DType::f64), b.at(name).to(DType::f64)));
    EXPECT_EQ(max(diff).item(), 0.0) << name << " differs " << why;
  }
}

TEST(Trainer, OneSeedGivesTheSameWeightsOnOneOrThreeThreads) {
  const fs::path one = fresh_dir("threads_1");
  const fs::path three = fresh_dir("threads_3");
  std::vector<std::string> args = train_args(one);
  const int one_status = wait_for(spawn_fovea(args, 1));
  ASSERT_TRUE(WIFEXITED(one_status) && WEXITSTATUS(one_status) == 0);
  args.back() = "output.dir=" + three.string();
  const int three_status = wait_for(spawn_fovea(args, 3));
  ASSERT_TRUE(WIFEXITED(three_status) && WEXITSTATUS(three_status) == 0);
  expect_same_weights(one, three, "between 1 and 3 threads");
}

TEST(Trainer, ResumeAfterSigkillEndsBitIdentical) {
  const fs::path straight = fresh_dir("resume_straight");
  const fs::path killed = fresh_dir("resume_killed");
  const int straight_status = wait_for(spawn_fovea(train_args(straight)));
  ASSERT_TRUE(WIFEXITED(straight_status) && WEXITSTATUS(straight_status) == 0);

  // Kill the second run with SIGKILL (no chance to save anything) once it has written a
  // checkpoint some way into epoch 2, then resume it.
  const pid_t pid = spawn_fovea(train_args(killed));
  const fs::path checkpoint = killed / "checkpoint.safetensors";
  const fs::path history = killed / "history.csv";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!(fs::exists(history) && fs::exists(checkpoint) &&
           fs::last_write_time(checkpoint) > fs::last_write_time(history)) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  const int killed_status = wait_for(pid);
  ASSERT_TRUE(WIFSIGNALED(killed_status))
      << "the run finished before it could be killed; the test needs a longer run";

  std::vector<std::string> resume = {"train", "--quiet", "--resume", killed.string()};
  const int resumed_status = wait_for(spawn_fovea(resume));
  ASSERT_TRUE(WIFEXITED(resumed_status) && WEXITSTATUS(resumed_status) == 0);

  expect_same_weights(straight, killed, "after resume");
  EXPECT_EQ(read_csv(straight / "history.csv").size(), read_csv(killed / "history.csv").size());
}

TEST(Trainer, Bf16AutocastOnTheCpuStaysCloseToF32) {
  auto final_loss = [](const std::string& amp) {
    const fs::path out = fresh_dir("amp_" + amp);
    TrainConfig config = small_config(out);
    apply_override(config, "training.epochs=1");
    apply_override(config, "data.max_train_samples=512");
    apply_override(config, "training.amp=" + amp);
    Trainer trainer(config, {.quiet = true});
    return trainer.run().final_train_loss;
  };
  const double f32 = final_loss("off");
  const double bf16 = final_loss("bf16");
  EXPECT_TRUE(std::isfinite(bf16));
  // Eight steps from the same initial weights and data order: bf16 products round to 8
  // mantissa bits, so the mean loss drifts by well under a few percent.
  EXPECT_NEAR(bf16, f32, 0.03 * f32) << "f32 " << f32 << " bf16 " << bf16;
}

}  // namespace
}  // namespace fovea::train
