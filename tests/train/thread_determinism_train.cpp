// One seed gives bit-identical weights whatever the OpenMP thread count: a few AdamW
// steps of several architectures in train mode (batch-statistics BatchNorm, dropout off)
// on 1, 2 and 8 threads. Reductions (backward-weight, norm statistics, losses) cut their
// work into pieces fixed by the shape, so the threads change only who adds which piece.
#include <gtest/gtest.h>
#include <omp.h>

#include <ostream>

#include "engine/rng.h"
#include "models/model.h"
#include "tests/support/testing.h"
#include "train/optimizer.h"

namespace fovea {
namespace {

struct Case {
  std::string model;
  int64_t img_size, batch, in_chans;
};

// How ctest and GoogleTest name a case (otherwise as its raw bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model << " at " << c.img_size << " px, batch " << c.batch;
}

// The weights after `steps` AdamW steps on a fixed random batch, run on `threads` threads.
TensorMap train_weights(const Case& c, int threads, int steps) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  manual_seed(0);
  ModelPtr model =
      create_model(c.model, {.num_classes = 10, .in_chans = c.in_chans, .img_size = c.img_size});
  model->train();
  train::AdamW opt({{.params = model->parameters(), .weight_decay = 0.05}}, 0.9, 0.999, 1e-8);
  Generator gen(1);
  const Tensor x = randn({c.batch, c.img_size, c.img_size, c.in_chans}, {}, &gen);
  const Tensor target = randint(0, 10, {c.batch}, {.dtype = DType::i64}, &gen);
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    cross_entropy(model->forward(x), target).backward();
    opt.step(1e-3, 1.0);
  }
  omp_set_num_threads(before);
  return model->state_dict();
}

class ThreadDeterminism : public ::testing::TestWithParam<Case> {};

TEST_P(ThreadDeterminism, SameWeightsOnOneTwoAndEightThreads) {
  const Case& c = GetParam();
  const TensorMap one = train_weights(c, 1, 2);
  for (int threads : {2, 8}) {
    const TensorMap other = train_weights(c, threads, 2);
    int64_t differing = 0;
    for (const auto& [name, w] : one) {
      if (!testing::all_close(other.at(name), w, 0, 0)) {
        ++differing;
        ADD_FAILURE() << name << " differs between 1 and " << threads << " threads";
        if (differing >= 5) return;
      }
    }
  }
}

// Plain and grouped convs, depthwise blocks with SE, dense concatenation, LayerNorm and
// GELU, attention.
INSTANTIATE_TEST_SUITE_P(
    Models, ThreadDeterminism,
    ::testing::Values(Case{"simple_cnn", 28, 8, 1}, Case{"resnet18", 32, 8, 3},
                      Case{"resnet50", 32, 4, 3}, Case{"efficientnet_b0", 32, 4, 3},
                      Case{"mobilenetv3_large_100", 32, 4, 3}, Case{"densenet121", 32, 4, 3},
                      Case{"convnext_tiny", 32, 2, 3}, Case{"vit_base_patch16_224", 32, 2, 3}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.model; });

}  // namespace
}  // namespace fovea
