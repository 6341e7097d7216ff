#pragma once
// Weight initialisation, in place, as torch.nn.init and timm do it. Every draw comes from
// the default Philox generator, so a seed fixes a model's initial weights on any device.
#include "engine/engine.h"

namespace fovea::init {

// While alive, the initialisers leave tensors as they are. Building a model only to count
// its parameters or to load weights into it then skips drawing hundreds of millions of
// random numbers.
class SkipInitGuard {
 public:
  SkipInitGuard();
  ~SkipInitGuard();
  SkipInitGuard(const SkipInitGuard&) = delete;
  SkipInitGuard& operator=(const SkipInitGuard&) = delete;

 private:
  bool previous_;
};
bool skipping();

void constant_(Tensor& t, double value);
void zeros_(Tensor& t);
void ones_(Tensor& t);
void uniform_(Tensor& t, double low, double high);
void normal_(Tensor& t, double mean, double std);
// Normal(mean, std) redrawn until inside [low, high] (absolute bounds, as timm's
// trunc_normal_); ViT and Swin initialise their linear layers with std 0.02.
void trunc_normal_(Tensor& t, double mean = 0.0, double std = 1.0, double low = -2.0,
                   double high = 2.0);

// fan_in and fan_out of a weight: Linear [out, in]; fovea conv [out, kh, kw, in/groups].
struct Fans {
  int64_t in = 0;
  int64_t out = 0;
};
Fans fans(const Tensor& weight);

enum class FanMode { fan_in, fan_out };
// He initialisation for ReLU networks: std = sqrt(2 / fan).
void kaiming_normal_(Tensor& t, FanMode mode = FanMode::fan_in);
// PyTorch's default for nn.Linear and nn.Conv2d weights: kaiming_uniform_ with a = sqrt(5),
// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the matching bias is U(-b, b), b = 1/sqrt(fan_in).
void kaiming_uniform_(Tensor& t, double a);
void xavier_uniform_(Tensor& t, double gain = 1.0);

}  // namespace fovea::init
