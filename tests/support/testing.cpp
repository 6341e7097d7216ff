#include "tests/support/testing.h"

#include <cmath>
#include <filesystem>
#include <set>

namespace fovea::testing {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double atol,
                                     double rtol) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << shape_str(actual.shape()) << " != expected "
                                         << shape_str(expected.shape());
  }
  const std::vector<double> a = actual.to_vector<double>();
  const std::vector<double> e = expected.to_vector<double>();
  double worst_excess = -1.0;
  size_t worst = 0, failures = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double allowed = atol + rtol * std::abs(e[i]);
    const double err = std::abs(a[i] - e[i]);
    const bool bad = std::isnan(a[i]) || std::isnan(e[i]) || !(err <= allowed);
    if (!bad) continue;
    ++failures;
    const double excess = std::isnan(err) ? INFINITY : err - allowed;
    if (excess > worst_excess) {
      worst_excess = excess;
      worst = i;
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << failures << " of " << a.size() << " elements differ; worst at flat index " << worst
         << ": got " << a[worst] << ", expected " << e[worst] << " (|diff| "
         << std::abs(a[worst] - e[worst]) << ", allowed " << atol + rtol * std::abs(e[worst])
         << ")";
}

Tensor random_leaf(const Shape& shape, uint64_t seed, double low, double high) {
  Generator generator(seed);
  Tensor t = rand(shape, {.dtype = DType::f64}, &generator);
  {
    NoGradGuard no_grad;
    t = add(mul(t, high - low), low);
  }
  t.requires_grad_(true);
  return t;
}

::testing::AssertionResult gradcheck(const TestFunction& f, const TensorList& inputs,
                                     GradcheckOptions options) {
  for (const Tensor& input : inputs) {
    if (!input.defined() || !input.requires_grad()) continue;
    if (input.dtype() != DType::f64 || !input.is_contiguous() || !input.is_leaf()) {
      return ::testing::AssertionFailure() << "gradcheck inputs must be contiguous f64 leaves";
    }
  }
  Tensor output = f(inputs);
  Generator generator(1234);
  const Tensor weights = rand(output.shape(), {.dtype = DType::f64}, &generator);
  for (const Tensor& input : inputs) {
    if (input.defined()) input.set_grad(Tensor());
  }
  sum(mul(output, weights)).backward();

  auto loss_at = [&]() {
    NoGradGuard no_grad;
    return sum(mul(f(inputs), weights)).item();
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& input = inputs[k];
    if (!input.defined() || !input.requires_grad()) continue;
    if (!input.grad().defined()) {
      return ::testing::AssertionFailure() << "input " << k << " received no gradient";
    }
    const std::vector<double> analytic = input.grad().to_vector<double>();
    double* data = input.data<double>();
    for (int64_t i = 0; i < input.numel(); ++i) {
      const double saved = data[i];
      data[i] = saved + options.eps;
      const double plus = loss_at();
      data[i] = saved - options.eps;
      const double minus = loss_at();
      data[i] = saved;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double err = std::abs(numeric - analytic[i]);
      if (!(err <= options.atol + options.rtol * std::abs(numeric))) {
        return ::testing::AssertionFailure()
               << "input " << k << " (shape " << shape_str(input.shape()) << "), element " << i
               << ": autograd " << analytic[i] << " vs finite difference " << numeric;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

Reference::Reference(const std::string& family)
    : path_(std::string(FOVEA_REFERENCE_DIR) + "/" + family + ".safetensors") {
  if (!std::filesystem::exists(path_)) {
    throw Error("reference file '" + path_ +
                "' is missing: run tests/reference/generate.py (ctest runs it as the "
                "parity_references fixture; it needs Debian's python3-torch)");
  }
  file_ = load_safetensors(path_);
}

const Tensor& Reference::operator[](const std::string& key) const {
  auto it = file_.tensors.find(key);
  if (it == file_.tensors.end()) throw Error("reference key '" + key + "' is not in " + path_);
  return it->second;
}

std::vector<std::string> Reference::cases() const {
  std::set<std::string> names;
  for (const auto& [key, tensor] : file_.tensors) names.insert(key.substr(0, key.rfind('.')));
  return {names.begin(), names.end()};
}

void check_case(const Reference& reference, const std::string& case_name,
                const std::vector<std::string>& inputs, const TestFunction& f, double atol,
                double rtol) {
  SCOPED_TRACE("reference case " + case_name);
  TensorList leaves;
  for (const std::string& name : inputs) {
    Tensor leaf = reference[case_name + "." + name].clone();
    if (is_floating(leaf.dtype())) leaf.requires_grad_(true);
    leaves.push_back(leaf);
  }
  const Tensor y = f(leaves);
  EXPECT_ALL_CLOSE(y, reference[case_name + ".y"], atol, rtol) << "output of " << case_name;
  if (!y.requires_grad()) return;
  y.backward(reference[case_name + ".gy"]);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string key = case_name + ".grad_" + inputs[i];
    if (!reference.has(key)) continue;
    ASSERT_TRUE(leaves[i].grad().defined()) << key << ": fovea produced no gradient";
    EXPECT_ALL_CLOSE(leaves[i].grad(), reference[key], atol, rtol) << key;
  }
}

}  // namespace fovea::testing
