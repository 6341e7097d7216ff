// The CUDA multi-tensor AdamW and SGD (f32 parameters, and bf16/f16 parameters with their f32
// master copies) and the on-device gradient norm and inf/nan detection, against the CPU
// optimizer over several steps, with many tensors of odd sizes so that several launches,
// multi-chunk tensors, the vectorised path and the scalar tail all run.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "engine/ops/elementwise.h"
#include "engine/ops/factory.h"
#include "tests/support/cuda_testing.h"
#include "train/optimizer.h"

namespace fovea {
namespace {

using train::AdamW;
using train::Optimizer;
using train::ParamGroup;
using train::SGD;

// 30 tensors (more than one launch's 24), sizes odd, tiny, vector-multiple and above one
// 64K chunk; a 1-element tensor after an odd one puts later tensors off 16-byte alignment
// only if the allocator packs them, so both paths are exercised either way.
const int64_t kSizes[] = {1,  3,   97,     13,    65536, 65537, 200003, 8, 768, 5,
                          96, 131, 70000,  1,     4,     31,    2304,   7, 64,  99,
                          11, 17,  131072, 12345, 2,     640,   9,      3, 300, 1000};

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

struct Model {
  std::vector<Tensor> params;
  std::unique_ptr<Optimizer> optimizer;
};

// Two groups (with and without weight decay) over the same f32 values placed on `device`
// as `dtype`.
Model make_model(const std::vector<Tensor>& values, Device device, DType dtype,
                 const MakeOptimizer& make) {
  Model model;
  std::vector<ParamGroup> groups(2);
  groups[0].weight_decay = 0.05;
  groups[1].lr_scale = 0.5;
  for (size_t i = 0; i < values.size(); ++i) {
    Tensor p = values[i].to(dtype).to(device).contiguous();
    model.params.push_back(p);
    ParamGroup& group = groups[i % 2];
    group.names.push_back(fmt::format("p{}", i));
    group.params.push_back(p);
  }
  model.optimizer = make(std::move(groups));
  return model;
}

// Runs `steps` updates on the CPU in f32 and on CUDA in `dtype` from the same (dtype-rounded)
// values and gradients; compares the CUDA f32 values (the master copy for 16-bit parameters)
// at f32 tolerance and the 16-bit working copy at its rounding.
void expect_steps_match(const MakeOptimizer& make, DType dtype, const std::string& what) {
  std::vector<Tensor> values;
  uint64_t seed = 11;
  for (int64_t n : kSizes) {
    values.push_back(testing::random_leaf({n}, seed++).detach().to(dtype).to(DType::f32));
  }
  Model cpu = make_model(values, Device::cpu(), DType::f32, make);
  Model gpu = make_model(values, Device::cuda(), dtype, make);
  for (int step = 0; step < 4; ++step) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (step == 1 && i % 7 == 3) {  // a parameter without a gradient is left alone
        cpu.params[i].set_grad(Tensor());
        gpu.params[i].set_grad(Tensor());
        continue;
      }
      const Tensor g = testing::random_leaf({kSizes[i]}, 1000 + 37 * step + i, -3.0, 3.0)
                           .detach()
                           .to(dtype)
                           .to(DType::f32);
      cpu.params[i].set_grad(g.contiguous());
      gpu.params[i].set_grad(g.to(dtype).to(Device::cuda()).contiguous());
    }
    const double scale = step == 2 ? 0.25 : 1.0;  // a loss-scaler/clipping factor
    cpu.optimizer->step(1e-2 * (step + 1), scale);
    gpu.optimizer->step(1e-2 * (step + 1), scale);
  }
  const TensorMap state = gpu.optimizer->state_dict();
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = fmt::format("{}.{}.master", i % 2, i / 2);
    const Tensor master = dtype == DType::f32 ? gpu.params[i] : state.at(key);
    EXPECT_TRUE(testing::all_close(master.to(Device::cpu()), cpu.params[i], 1e-5, 1e-5))
        << what << " master of tensor " << i << " (" << kSizes[i] << " elements)";
    const testing::CudaTolerance rounding = testing::cuda_tolerance(dtype);
    EXPECT_TRUE(testing::all_close(gpu.params[i].to(Device::cpu()).to(DType::f32), cpu.params[i],
                                   rounding.atol, rounding.rtol))
        << what << " parameter " << i;
  }
}

const DType kDTypes[] = {DType::f32, DType::bf16, DType::f16};

TEST(OptimizerCuda, AdamWMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    expect_steps_match(
        [](std::vector<ParamGroup> groups) {
          return std::make_unique<AdamW>(std::move(groups), 0.9, 0.99, 1e-8);
        },
        dtype, std::string("adamw ") + dtype_name(dtype));
  }
}

TEST(OptimizerCuda, SgdMatchesCpu) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : kDTypes) {
    for (double momentum : {0.0, 0.9}) {
      for (bool nesterov : {false, true}) {
        if (momentum == 0.0 && nesterov) continue;
        expect_steps_match(
            [=](std::vector<ParamGroup> groups) {
              return std::make_unique<SGD>(std::move(groups), momentum, nesterov);
            },
            dtype,
            fmt::format("sgd momentum {} nesterov {} {}", momentum, nesterov, dtype_name(dtype)));
      }
    }
  }
}

// Grad norm of the same gradients on the CPU (f32) and on CUDA (f32 and bf16 grads of
// bf16-rounded values), and inf/nan anywhere in any tensor makes it non-finite.
TEST(OptimizerCuda, GradNormMatchesCpuAndDetectsNonFinite) {
  FOVEA_REQUIRE_GPU();
  for (DType dtype : {DType::f32, DType::bf16}) {
    std::vector<Tensor> values;
    for (size_t i = 0; i < std::size(kSizes); ++i) {
      values.push_back(testing::random_leaf({kSizes[i]}, 50 + i).detach().to(dtype).to(DType::f32));
    }
    const MakeOptimizer make = [](std::vector<ParamGroup> groups) {
      return std::make_unique<SGD>(std::move(groups), 0.0, false);
    };
    Model cpu = make_model(values, Device::cpu(), DType::f32, make);
    Model gpu = make_model(values, Device::cuda(), dtype, make);
    for (size_t i = 0; i < values.size(); ++i) {
      cpu.params[i].set_grad(mul(values[i], 100.0).contiguous());
      gpu.params[i].set_grad(mul(values[i], 100.0).to(dtype).to(Device::cuda()).contiguous());
    }
    const double expected = cpu.optimizer->grad_norm();
    EXPECT_NEAR(gpu.optimizer->grad_norm(), expected, 1e-9 * expected) << dtype_name(dtype);
    // Repeated calls give the same bits (a fixed reduction order).
    EXPECT_EQ(gpu.optimizer->grad_norm(), gpu.optimizer->grad_norm());
    for (double bad :
         {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
          std::numeric_limits<double>::quiet_NaN()}) {
      for (size_t victim : {size_t{0}, size_t{6}, std::size(kSizes) - 1}) {
        std::vector<float> host = values[victim].to_vector<float>();
        host[host.size() / 2] = static_cast<float>(bad);
        const Tensor poisoned = from_blob(host.data(), {kSizes[victim]}, DType::f32);
        const Tensor clean = gpu.params[victim].grad();
        gpu.params[victim].set_grad(poisoned.to(dtype).to(Device::cuda()).contiguous());
        EXPECT_FALSE(std::isfinite(gpu.optimizer->grad_norm()))
            << dtype_name(dtype) << " " << bad << " in tensor " << victim;
        gpu.params[victim].set_grad(clean);
      }
    }
    EXPECT_TRUE(std::isfinite(gpu.optimizer->grad_norm()));
  }
}

}  // namespace
}  // namespace fovea
