#include "tests/support/model_parity.h"

#include <cmath>
#include <filesystem>

namespace fovea::testing {

namespace {

// Tolerance scaled to the tensor: |diff| <= rtol * (max|ref| + |ref|), so that elements
// near zero are judged against the size of the whole tensor.
void expect_close_scaled(const Tensor& actual, const Tensor& expected, double rtol,
                         const std::string& what) {
  const double scale = max(abs(expected.to(DType::f64))).item();
  EXPECT_TRUE(all_close(actual, expected, rtol * scale, rtol)) << what;
}

// ||actual - expected|| / ||expected||, in f64.
double relative_norm_error(const Tensor& actual, const Tensor& expected) {
  const Tensor e = expected.to(DType::f64);
  const Tensor d = sub(actual.to(DType::f64), e);
  return std::sqrt(sum(mul(d, d)).item() / std::max(sum(mul(e, e)).item(), 1e-300));
}

TensorMap with_prefix_stripped(const TensorMap& all, const std::string& prefix) {
  TensorMap out;
  for (const auto& [key, tensor] : all) {
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = tensor;
  }
  return out;
}

struct Gradients {
  Tensor logits, input;
  std::map<std::string, Tensor> params;
};

// Forward and backward of `model_name` with weights `state` in `dtype`, on the
// reference's input and upstream gradient.
Gradients run_model(const std::string& model_name, const TensorMap& state,
                    const TensorMap& reference, const ModelParityOptions& options, DType dtype) {
  ModelPtr model = create_model(model_name, options.config);
  model->load_state_dict(state);
  model->eval();
  model->to(dtype);
  Tensor input = reference.at("input").to(dtype).clone();
  input.requires_grad_(true);
  Gradients out;
  out.logits = model->forward(input);
  out.logits.backward(reference.at("gy").to(dtype));
  out.input = input.grad();
  for (const auto& [name, p] : model->named_parameters()) out.params[name] = p.grad();
  return out;
}

}  // namespace

void check_model_parity(const std::string& model_name, const std::string& reference_file,
                        const ModelParityOptions& options) {
  SCOPED_TRACE(model_name + " against " + reference_file);
  const std::string path = std::string(FOVEA_REFERENCE_DIR) + "/" + reference_file + ".safetensors";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing (parity_references fixture)";
  const TensorMap reference = load_safetensors(path).tensors;
  const TensorMap state =
      import_state_dict(with_prefix_stripped(reference, "state."), model_name, options.source);
  const TensorMap expected_grads =
      import_state_dict(with_prefix_stripped(reference, "grad."), model_name, options.source);
  ASSERT_FALSE(expected_grads.empty()) << "the reference stores no parameter gradients";

  // Both passes judge the same gradients, each at the accuracy its precision can promise.
  // f32, the precision models train in, checks the logits element by element but the
  // gradients only by their norm: a ReLU whose f32 pre-activation rounds to the other side
  // of zero passes (or stops) a whole gradient element, and every layer below inherits it
  // (seresnext50's layer1.0 has an add that is 1.9e-8 in f64 and exactly 0 in f32). Which
  // elements flip depends on the CPU's rounding, so no element-wise bound holds on every
  // machine. f64 has no such flips at these sizes and checks every gradient element-wise.
  struct Pass {
    DType dtype;
    double rtol;
  };
  for (const Pass& pass : {Pass{DType::f32, options.rtol}, Pass{DType::f64, options.f64_rtol}}) {
    SCOPED_TRACE(std::string("in ") + dtype_name(pass.dtype));
    const Gradients got = run_model(model_name, state, reference, options, pass.dtype);
    expect_close_scaled(got.logits, reference.at("logits"), pass.rtol, "logits");
    const auto expect_gradient = [&](const Tensor& actual, const Tensor& expected,
                                     const std::string& what) {
      ASSERT_TRUE(actual.defined()) << what << " was not computed";
      if (pass.dtype == DType::f64) {
        expect_close_scaled(actual, expected, pass.rtol, what);
      } else {
        EXPECT_LE(relative_norm_error(actual, expected), options.f32_grad_norm_rtol) << what;
      }
    };
    expect_gradient(got.input, reference.at("grad_input"), "input gradient");
    for (const auto& [name, expected] : expected_grads) {
      ASSERT_TRUE(got.params.count(name)) << "no parameter named " << name;
      expect_gradient(got.params.at(name), expected, "gradient of " + name);
    }
  }
}

}  // namespace fovea::testing
