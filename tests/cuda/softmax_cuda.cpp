// softmax, log_softmax and the fused losses on CUDA against the CPU reference, forward and
// gradients, in f32, bf16 and f16.
#include <gtest/gtest.h>

#include <vector>

#include "engine/host_sync.h"
#include "engine/ops/factory.h"
#include "engine/ops/loss.h"
#include "engine/ops/softmax.h"
#include "tests/support/cuda_testing.h"

namespace fovea {
namespace {

using testing::cuda_matches_cpu;

const DType kDTypes[] = {DType::f32, DType::bf16, DType::f16};

Tensor input(const Shape& shape, uint64_t seed, double low = -3.0, double high = 3.0) {
  return testing::random_leaf(shape, seed, low, high).detach().to(DType::f32);
}

// Row lengths: odd (scalar path), multiples of 8 (16-byte path), ImageNet's 1000 classes,
// and beyond 1024 (block per row); plus softmax over an inner dim.
TEST(SoftmaxCuda, LastDimMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  const Shape shapes[] = {{3, 13}, {2, 5, 49}, {4, 64}, {2, 1000}, {3, 1537}, {1, 1}};
  uint64_t seed = 1;
  for (const Shape& shape : shapes) {
    for (bool log : {false, true}) {
      for (DType dtype : kDTypes) {
        EXPECT_TRUE(cuda_matches_cpu(
            [log](const TensorList& in) {
              return log ? log_softmax(in[0], -1) : softmax(in[0], -1);
            },
            {input(shape, seed++)}, dtype,
            std::string(log ? "log_softmax " : "softmax ") + shape_str(shape) + " " +
                dtype_name(dtype)));
      }
    }
  }
}

TEST(SoftmaxCuda, InnerDimAndNonContiguous) {
  FOVEA_REQUIRE_GPU();
  for (bool log : {false, true}) {
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu(
          [log](const TensorList& in) { return log ? log_softmax(in[0], 1) : softmax(in[0], 1); },
          {input({3, 7, 5, 4}, 50)}, dtype, std::string("softmax dim 1 ") + dtype_name(dtype)));
      EXPECT_TRUE(cuda_matches_cpu(
          [log](const TensorList& in) {
            const Tensor t = in[0].transpose(0, 1);
            return log ? log_softmax(t, -1) : softmax(t, -1);
          },
          {input({9, 4, 24}, 51)}, dtype, std::string("softmax transposed ") + dtype_name(dtype)));
    }
  }
}

Tensor targets(const std::vector<int64_t>& values) {
  return from_vector<int64_t>(values, {static_cast<int64_t>(values.size())});
}

// Class indices for `rows` samples of `classes` classes, every fifth one ignored (-100).
Tensor targets_with_ignored(int64_t rows, int64_t classes) {
  std::vector<int64_t> values(rows);
  for (int64_t r = 0; r < rows; ++r) values[r] = r % 5 == 4 ? -100 : (r * 7 + 3) % classes;
  return targets(values);
}

TEST(CrossEntropyCuda, IndexTargetsEveryOption) {
  FOVEA_REQUIRE_GPU();
  struct Case {
    int64_t rows, classes;
  };
  uint64_t seed = 100;
  for (const Case k : {Case{7, 13}, Case{33, 1000}, Case{2, 1500}, Case{1, 3}}) {
    for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
      for (double smoothing : {0.0, 0.1}) {
        for (bool weighted : {false, true}) {
          for (DType dtype : kDTypes) {
            const Tensor weight = weighted ? input({k.classes}, seed + 1, 0.1, 2.0) : Tensor();
            EXPECT_TRUE(cuda_matches_cpu(
                [&](const TensorList& in) {
                  CrossEntropyOptions options;
                  options.reduction = reduction;
                  options.label_smoothing = smoothing;
                  if (weighted) options.weight = in[2].detach();
                  return cross_entropy(in[0], in[1], options);
                },
                {input({k.rows, k.classes}, seed), targets_with_ignored(k.rows, k.classes), weight},
                dtype,
                "cross_entropy " + std::to_string(k.rows) + "x" + std::to_string(k.classes) +
                    " smoothing " + std::to_string(smoothing) + (weighted ? " weighted " : " ") +
                    dtype_name(dtype)));
            ++seed;
          }
        }
      }
    }
  }
}

// The class-index range check and the mean's denominator stay on the device: a weighted
// mean cross-entropy with ignored samples, forward and backward, never waits for the GPU.
TEST(CrossEntropyCuda, IndexTargetsNeverWaitForTheDevice) {
  FOVEA_REQUIRE_GPU();
  const Device gpu = Device::cuda(0);
  const Tensor logits = input({33, 1000}, 300).to(gpu).requires_grad_(true);
  const Tensor targets = targets_with_ignored(33, 1000).to(gpu);
  CrossEntropyOptions options;
  options.weight = input({1000}, 301, 0.1, 2.0).to(gpu);
  const int64_t before = host_sync_count();
  const Tensor loss = cross_entropy(logits, targets, options);
  loss.backward();
  EXPECT_EQ(host_sync_count(), before);
  EXPECT_TRUE(logits.grad().defined());
}

TEST(CrossEntropyCuda, ProbabilityTargets) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    const Tensor probs = softmax(input({6, 10}, 201), -1).detach();
    EXPECT_TRUE(cuda_matches_cpu(
        [](const TensorList& in) {
          CrossEntropyOptions options;
          options.label_smoothing = 0.2;
          options.weight = in[2].detach();
          return cross_entropy(in[0], in[1].detach(), options);
        },
        {input({6, 10}, 200), probs, input({10}, 202, 0.5, 1.5)}, dtype,
        std::string("cross_entropy soft targets ") + dtype_name(dtype)));
  }
}

TEST(NllLossCuda, MatchesCpu) {
  FOVEA_REQUIRE_GPU();
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu(
          [reduction](const TensorList& in) {
            return nll_loss(log_softmax(in[0], -1), in[1], in[2].detach(), -100, reduction);
          },
          {input({11, 17}, 300), targets_with_ignored(11, 17), input({17}, 301, 0.1, 2.0)}, dtype,
          std::string("nll_loss ") + dtype_name(dtype)));
    }
  }
}

TEST(FocalLossCuda, MatchesCpu) {
  FOVEA_REQUIRE_GPU();
  for (double gamma : {0.0, 0.5, 2.0}) {
    for (int alpha_kind = 0; alpha_kind < 3; ++alpha_kind) {
      for (DType dtype : kDTypes) {
        EXPECT_TRUE(cuda_matches_cpu(
            [gamma, alpha_kind](const TensorList& in) {
              FocalLossOptions options;
              options.gamma = gamma;
              if (alpha_kind == 1) options.alpha = full({1}, 0.25, {.device = in[0].device()});
              if (alpha_kind == 2) options.alpha = in[2].detach();
              return focal_loss(in[0], in[1], options);
            },
            {input({13, 9}, 400), targets_with_ignored(13, 9), input({9}, 401, 0.1, 1.0)}, dtype,
            "focal_loss gamma " + std::to_string(gamma) + " alpha " + std::to_string(alpha_kind) +
                " " + dtype_name(dtype)));
      }
    }
  }
}

TEST(BceWithLogitsCuda, BroadcastWeights) {
  FOVEA_REQUIRE_GPU();
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    for (DType dtype : kDTypes) {
      EXPECT_TRUE(cuda_matches_cpu(
          [reduction](const TensorList& in) {
            return binary_cross_entropy_with_logits(in[0], in[1].detach(), in[2].detach(),
                                                    in[3].detach(), reduction);
          },
          {input({5, 3, 7}, 500, -8.0, 8.0), input({5, 3, 7}, 501, 0.0, 1.0),
           input({3, 1}, 502, 0.2, 2.0), input({7}, 503, 0.5, 3.0)},
          dtype, std::string("bce_with_logits ") + dtype_name(dtype)));
    }
  }
}

TEST(MseLossCuda, MatchesCpu) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    EXPECT_TRUE(cuda_matches_cpu([](const TensorList& in) { return mse_loss(in[0], in[1]); },
                                 {input({4, 19}, 600), input({4, 19}, 601)}, dtype,
                                 std::string("mse_loss ") + dtype_name(dtype)));
  }
}

}  // namespace
}  // namespace fovea
