#include "layers/init.h"

#include <cmath>

namespace fovea::init {

namespace {
thread_local bool tls_skip = false;
}  // namespace

SkipInitGuard::SkipInitGuard() : previous_(tls_skip) { tls_skip = true; }
SkipInitGuard::~SkipInitGuard() { tls_skip = previous_; }
bool skipping() { return tls_skip; }

namespace {
// Writes `values` (f32, CPU) into `t` whatever its device and dtype.
void assign(Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  t.copy_(values);
}
}  // namespace

void constant_(Tensor& t, double value) {
  if (tls_skip) return;
  NoGradGuard no_grad;
  t.fill_(value);
}
void zeros_(Tensor& t) {
  constant_(t, 0.0);
}
void ones_(Tensor& t) {
  constant_(t, 1.0);
}

void uniform_(Tensor& t, double low, double high) {
  if (tls_skip) return;
  NoGradGuard no_grad;
  assign(t, add(mul(rand(t.shape()), high - low), low));
}

void normal_(Tensor& t, double mean, double std) {
  if (tls_skip) return;
  NoGradGuard no_grad;
  assign(t, add(mul(randn(t.shape()), std), mean));
}

void trunc_normal_(Tensor& t, double mean, double std, double low, double high) {
  if (tls_skip) return;
  FOVEA_CHECK(low < high, "trunc_normal_: low ({}) must be below high ({})", low, high);
  NoGradGuard no_grad;
  Tensor values = empty(t.shape());
  float* out = values.data<float>();
  int64_t filled = 0;
  const int64_t n = t.numel();
  while (filled < n) {
    const Tensor batch = add(mul(randn({std::max<int64_t>(n - filled, 64)}), std), mean);
    for (float v : batch.to_vector<float>()) {
      if (v >= low && v <= high && filled < n) out[filled++] = v;
    }
  }
  assign(t, values);
}

Fans fans(const Tensor& weight) {
  FOVEA_CHECK(weight.dim() >= 2, "init: fan in/out need a weight with at least 2 dims, got {}",
              shape_str(weight.shape()));
  // [out, ..., in]: the receptive field is everything between the first and last dim.
  int64_t receptive = 1;
  for (int64_t d = 1; d + 1 < weight.dim(); ++d) receptive *= weight.size(d);
  return {weight.size(-1) * receptive, weight.size(0) * receptive};
}

void kaiming_normal_(Tensor& t, FanMode mode) {
  const Fans f = fans(t);
  const double fan = static_cast<double>(mode == FanMode::fan_in ? f.in : f.out);
  normal_(t, 0.0, std::sqrt(2.0 / fan));
}

void kaiming_uniform_(Tensor& t, double a) {
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fans(t).in));
  uniform_(t, -bound, bound);
}

void xavier_uniform_(Tensor& t, double gain) {
  const Fans f = fans(t);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(f.in + f.out));
  uniform_(t, -bound, bound);
}

}  // namespace fovea::init
