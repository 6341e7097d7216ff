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

TensorMap with_prefix_stripped(const TensorMap& all, const std::string& prefix) {
  TensorMap out;
  for (const auto& [key, tensor] : all) {
    if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = tensor;
  }
  return out;
}

}  // namespace

void check_model_parity(const std::string& model_name, const std::string& reference_file,
                        const ModelParityOptions& options) {
  SCOPED_TRACE(model_name + " against " + reference_file);
  const std::string path = std::string(FOVEA_REFERENCE_DIR) + "/" + reference_file + ".safetensors";
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing (parity_references fixture)";
  const TensorMap reference = load_safetensors(path).tensors;

  ModelPtr model = create_model(model_name, options.config);
  model->load_state_dict(
      import_state_dict(with_prefix_stripped(reference, "state."), model_name, options.source));
  model->eval();

  Tensor input = reference.at("input").clone();
  input.requires_grad_(true);
  const Tensor logits = model->forward(input);
  expect_close_scaled(logits, reference.at("logits"), options.rtol, "logits");
  logits.backward(reference.at("gy"));
  expect_close_scaled(input.grad(), reference.at("grad_input"), options.rtol, "input gradient");

  const TensorMap expected_grads =
      import_state_dict(with_prefix_stripped(reference, "grad."), model_name, options.source);
  EXPECT_FALSE(expected_grads.empty()) << "the reference stores no parameter gradients";
  std::map<std::string, Tensor> params;
  for (const auto& [name, p] : model->named_parameters()) params[name] = p;
  for (const auto& [name, expected] : expected_grads) {
    ASSERT_TRUE(params.count(name)) << "no parameter named " << name;
    ASSERT_TRUE(params[name].grad().defined()) << name << " received no gradient";
    expect_close_scaled(params[name].grad(), expected, options.rtol, "gradient of " + name);
  }
}

}  // namespace fovea::testing
