// What training touches outside the models' layers, on CUDA against the CPU: one_hot,
// randint and from_blob placed on the device, the Criterion's losses (label smoothing,
// class weights, mixup's soft targets, focal loss with a scalar alpha, BCE with
// pos_weight), the EMA update over parameters and integer buffers, and metrics computed
// from device logits; and a short Trainer run on the GPU that reads the device once per
// optimizer step (the loader's batches uploaded ahead on the copy stream).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "models/model.h"
#include "tests/cuda/inputs.h"
#include "tests/support/cuda_testing.h"
#include "train/config.h"
#include "train/criterion.h"
#include "train/ema.h"
#include "train/metrics.h"
#include "train/trainer.h"

namespace fovea {
namespace {

using testing::all_close;
using testing::uniform_input;

TEST(CudaOneHot, MatchesCpu) {
  FOVEA_REQUIRE_GPU();
  // 300 x 1000 outputs cover many blocks of the grid-stride kernel; [2, 3] keeps the
  // leading shape; i32 indices are widened first; the last two infer the class count.
  std::vector<int64_t> many;
  for (int64_t i = 0; i < 300; ++i) many.push_back((i * 389 + 7) % 1000);
  const Tensor cases[] = {from_vector(many, {300}),
                          from_vector<int64_t>({4, 0, 2, 2, 1, 4}, {2, 3}),
                          from_vector<int32_t>({3, 1, 0}, {3})};
  const int64_t classes[] = {1000, 5, 4};
  for (size_t i = 0; i < 3; ++i) {
    for (int64_t num_classes : {classes[i], int64_t{-1}}) {
      const Tensor expected = one_hot(cases[i], num_classes);
      const Tensor actual = one_hot(cases[i].to(Device::cuda()), num_classes);
      EXPECT_TRUE(actual.device().is_cuda());
      EXPECT_EQ(actual.dtype(), DType::i64);
      ASSERT_EQ(actual.shape(), expected.shape()) << "case " << i;
      EXPECT_EQ(actual.to_vector<int64_t>(), expected.to_vector<int64_t>())
          << "case " << i << ", num_classes " << num_classes;
    }
  }
}

TEST(CudaOneHot, RejectsOutOfRangeIndicesAsTheCpuDoes) {
  FOVEA_REQUIRE_GPU();
  const Tensor bad = from_vector<int64_t>({1, 5, 2}, {3}).to(Device::cuda());
  try {
    one_hot(bad, 4);
    FAIL() << "one_hot accepted index 5 for 4 classes";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 5 is out of range for 4 classes"),
              std::string::npos)
        << e.what();
  }
}

TEST(CudaFactories, RandintAndFromBlobPlaceTheCpuValuesOnTheDevice) {
  FOVEA_REQUIRE_GPU();
  Generator cpu_generator(21), gpu_generator(21);
  const Tensor on_cpu = randint(-3, 1000, {7, 13}, {.dtype = DType::i64}, &cpu_generator);
  const Tensor on_gpu =
      randint(-3, 1000, {7, 13}, {.dtype = DType::i64, .device = Device::cuda()}, &gpu_generator);
  EXPECT_TRUE(on_gpu.device().is_cuda());
  EXPECT_EQ(on_gpu.to_vector<int64_t>(), on_cpu.to_vector<int64_t>());

  const std::vector<float> values = {0.5f, -1.25f, 3.0f, 1e-3f, 7.0f, -0.0f};
  const Tensor blob = from_blob(values.data(), {2, 3}, DType::f32,
                                {.dtype = DType::bf16, .device = Device::cuda()});
  EXPECT_TRUE(blob.device().is_cuda());
  EXPECT_EQ(blob.dtype(), DType::bf16);
  EXPECT_TRUE(all_close(blob, from_vector(values, {2, 3}).to(DType::bf16), 0, 0));
}

// One loss and its logits gradient through train::Criterion, on the CPU and on CUDA.
void expect_criterion_matches(const train::TrainingSection& config, const Tensor& soft_targets,
                              const std::string& what) {
  const std::vector<int64_t> counts = {5, 1, 3, 2, 9};
  const std::unique_ptr<train::Criterion> criterion = train::create_criterion(config, counts);
  const Tensor labels = from_vector<int64_t>({0, 3, 4, 1, 1, 2}, {6});
  const Tensor logits = uniform_input({6, 5}, 41, -3.0, 3.0);
  Tensor grads[2];
  double losses[2];
  const Device devices[] = {Device::cpu(), Device::cuda()};
  for (int d = 0; d < 2; ++d) {
    Tensor leaf = logits.to(devices[d]).clone();  // a fresh leaf on each device
    leaf.requires_grad_(true);
    const Tensor soft = soft_targets.defined() ? soft_targets.to(devices[d]) : Tensor();
    const Tensor loss = (*criterion)(leaf, labels.to(devices[d]), soft);
    EXPECT_EQ(loss.device(), devices[d]) << what;
    losses[d] = loss.item();
    loss.backward();
    grads[d] = leaf.grad();
  }
  EXPECT_NEAR(losses[1], losses[0], 1e-5 * std::max(1.0, std::fabs(losses[0]))) << what;
  EXPECT_TRUE(all_close(grads[1], grads[0], 1e-6, 1e-5)) << what;
}

TEST(CudaCriterion, EveryLossTheConfigOffers) {
  FOVEA_REQUIRE_GPU();
  train::TrainingSection config;
  config.label_smoothing = 0.1;
  expect_criterion_matches(config, Tensor(), "cross-entropy, label smoothing");
  config.class_weights = train::ClassWeighting::balanced;
  expect_criterion_matches(config, Tensor(), "cross-entropy, smoothing and balanced weights");
  config.class_weights = train::ClassWeighting::given;
  config.class_weight_values = {1.0, 0.5, 2.0, 1.5, 0.25};
  expect_criterion_matches(config, Tensor(), "cross-entropy, given weights");
  // Mixup's soft targets: rows summing to one, with the smoothing already in them.
  const Tensor soft = softmax(uniform_input({6, 5}, 43, -2.0, 2.0), 1);
  expect_criterion_matches(config, soft, "cross-entropy, soft targets and weights");

  train::TrainingSection focal;
  focal.loss = train::LossKind::focal;
  focal.focal_gamma = 2.0;
  focal.focal_alpha = 0.25;  // a scalar alpha, made on the logits' device
  expect_criterion_matches(focal, Tensor(), "focal, scalar alpha");
  focal.class_weights = train::ClassWeighting::balanced;
  expect_criterion_matches(focal, Tensor(), "focal, per-class alpha");

  train::TrainingSection bce;
  bce.loss = train::LossKind::bce;
  bce.class_weights = train::ClassWeighting::given;
  bce.class_weight_values = {2.0, 1.0, 0.5, 3.0, 1.0};
  const Tensor multi_label = gt(uniform_input({6, 5}, 44), 0.0).to(DType::f32);
  expect_criterion_matches(bce, multi_label, "bce, pos_weight");
}

TEST(CudaEma, UpdateMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  // simple_cnn has parameters, f32 running statistics and an i64 num_batches_tracked.
  ModelPtr models[2];
  for (ModelPtr& model : models) {
    manual_seed(5);
    model = create_model("simple_cnn", {.num_classes = 4, .in_chans = 1, .img_size = 28});
  }
  models[1]->to(Device::cuda());
  train::ModelEma cpu_ema(*models[0], 0.9), gpu_ema(*models[1], 0.9);
  const Tensor x = uniform_input({3, 28, 28, 1}, 45);
  for (int step = 0; step < 2; ++step) {
    for (int m = 0; m < 2; ++m) {
      NoGradGuard no_grad;
      models[m]->train();
      models[m]->forward(x.to(m == 0 ? Device::cpu() : Device::cuda()));  // running statistics
      Generator shift(100 + step);
      for (auto& [name, p] : models[m]->named_parameters()) {
        add_(p, mul(randn(p.shape(), {}, &shift), 0.1).to(p.device()));
      }
    }
    cpu_ema.update(*models[0]);
    gpu_ema.update(*models[1]);
  }
  ASSERT_EQ(gpu_ema.state().size(), cpu_ema.state().size());
  for (const auto& [name, expected] : cpu_ema.state()) {
    const Tensor& actual = gpu_ema.state().at(name);
    EXPECT_TRUE(actual.device().is_cuda()) << name;
    EXPECT_EQ(actual.dtype(), expected.dtype()) << name;
    // The running statistics come from CUDA batch norm, hence the f32 kernel tolerance.
    EXPECT_TRUE(all_close(actual.to(DType::f64), expected.to(DType::f64), 1e-5, 1e-5)) << name;
  }
}

TEST(CudaMetrics, FromDeviceLogits) {
  FOVEA_REQUIRE_GPU();
  const Tensor logits = uniform_input({40, 7}, 46, -4.0, 4.0);
  std::vector<int64_t> label_values;
  for (int64_t i = 0; i < 40; ++i) label_values.push_back((i * 3 + i / 7) % 7);
  const Tensor labels = from_vector(label_values, {40});
  train::MetricsAccumulator cpu(7, {}), gpu(7, {});
  cpu.add_logits(logits, labels);
  gpu.add_logits(logits.to(Device::cuda()), labels.to(Device::cuda()));
  const train::ClassificationMetrics want = cpu.compute(), got = gpu.compute();
  EXPECT_EQ(got.num_samples, want.num_samples);
  // CUDA's f32 softmax is within about 1e-7 of the CPU's, far below the gaps between
  // these logits, so no prediction or ranking changes: counted metrics are equal.
  EXPECT_EQ(got.accuracy, want.accuracy);
  EXPECT_EQ(got.macro_f1, want.macro_f1);
  ASSERT_TRUE(got.top5_accuracy.has_value());
  EXPECT_EQ(*got.top5_accuracy, *want.top5_accuracy);
  EXPECT_NEAR(got.macro_auc, want.macro_auc, 1e-9);
}

TEST(CudaTrainer, ReadsTheDeviceOncePerOptimizerStep) {
  FOVEA_REQUIRE_GPU();
  namespace fs = std::filesystem;
  const fs::path out = fs::path(FOVEA_BINARY_DIR) / "test_outputs" / "cuda_one_read_per_step";
  fs::remove_all(out);
  train::TrainConfig config =
      train::load_config(std::string(FOVEA_SOURCE_DIR) + "/configs/fashion_mnist/base.yaml");
  for (const char* assignment :
       {"data.max_train_samples=1024", "data.max_eval_samples=256", "training.epochs=1",
        "training.batch_size=64", "training.warmup_epochs=0", "training.accumulation_steps=2",
        "training.clip_grad_norm=1.0", "training.amp=bf16", "training.device=cuda:0",
        "training.early_stopping.patience=0"}) {
    train::apply_override(config, assignment);
  }
  train::apply_override(config, "output.dir=" + out.string());
  train::Trainer trainer(config, {.quiet = true});
  const train::RunSummary summary = trainer.run();
  EXPECT_EQ(summary.max_host_syncs_per_step, 1);
  EXPECT_TRUE(std::isfinite(summary.final_train_loss));
  ASSERT_TRUE(summary.validation && summary.validation->classification);
  EXPECT_GT(summary.validation->classification->accuracy, 0.3) << "one short epoch learns";
}

}  // namespace
}  // namespace fovea
