#pragma once
// Shared test helpers: closeness checks, finite-difference gradient checks, and access to
// the PyTorch reference files written by tests/reference/generate.py.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace fovea::testing {

// |actual - expected| <= atol + rtol * |expected| everywhere, with equal shapes. NaN in
// either tensor fails. The message names the worst element.
::testing::AssertionResult all_close(const Tensor& actual, const Tensor& expected, double atol,
                                     double rtol);

#define EXPECT_ALL_CLOSE(actual, expected, atol, rtol) \
  EXPECT_TRUE(::fovea::testing::all_close((actual), (expected), (atol), (rtol)))

// The message of the fovea::Error that f throws, or "<no error>".
std::string error_of(const std::function<void()>& f);

// Expects `statement` to throw an Error whose message contains `text`.
#define EXPECT_ERROR(statement, text)                                                 \
  do {                                                                                \
    const std::string fovea_error_ = ::fovea::testing::error_of([&] { statement; });  \
    EXPECT_NE(fovea_error_.find(text), std::string::npos) << "got: " << fovea_error_; \
  } while (false)

// A contiguous f64 leaf with values uniform in [low, high), requiring grad.
Tensor random_leaf(const Shape& shape, uint64_t seed, double low = -1.0, double high = 1.0);

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-4;
};

using TestFunction = std::function<Tensor(const TensorList& inputs)>;

// Checks the autograd gradient of L = sum(f(inputs) * W), for a fixed random W, against
// central differences, for every input that requires grad. Inputs must be contiguous
// f64 leaves; f may view them any way it likes (transpose, slice, expand) first.
::testing::AssertionResult gradcheck(const TestFunction& f, const TensorList& inputs,
                                     GradcheckOptions options = {});

// One reference file, tests/reference/<family>.py's output.
class Reference {
 public:
  explicit Reference(const std::string& family);
  const Tensor& operator[](const std::string& key) const;
  bool has(const std::string& key) const { return file_.tensors.count(key) > 0; }
  // The distinct case names: the part of each key before the last '.'.
  std::vector<std::string> cases() const;

 private:
  std::string path_;
  SafetensorsFile file_;
};

// Replays a case written by Cases.record(): loads the inputs named `inputs` (as leaves
// requiring grad when floating), runs f, backpropagates the stored 'gy', and compares 'y'
// and every stored 'grad_<input>' within atol/rtol.
void check_case(const Reference& reference, const std::string& case_name,
                const std::vector<std::string>& inputs, const TestFunction& f, double atol = 1e-5,
                double rtol = 1e-5);

}  // namespace fovea::testing
