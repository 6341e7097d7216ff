// The two small baselines of the seeds.
//
// simple_cnn is the seeds' "Custom_1": five conv stages (3x3 conv, BatchNorm, ReLU, and a
// 2x2 max pool after the first four), global average pooling and a linear classifier,
// about 1M parameters. It trains in minutes on Fashion-MNIST on a CPU.
//
// logreg is multinomial logistic regression on the flattened pixels: one linear layer.
// On Fashion-MNIST it is the classic 0.84 baseline.
#include "layers/container.h"
#include "layers/conv.h"
#include "layers/linear.h"
#include "layers/norm.h"
#include "layers/pooling.h"
#include "layers/regularization.h"
#include "models/families.h"

namespace fovea {

namespace {

class ConvStage : public Module {
 public:
  ConvStage(int64_t in_channels, int64_t out_channels, bool pool)
      : Module("ConvStage"), pool_(pool) {
    conv = register_module(
        "conv", std::make_shared<Conv2d>(in_channels, out_channels,
                                         Conv2dConfig{.kernel = 3, .padding = 1, .bias = false}));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(out_channels));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor y = relu((*bn)((*conv)(x)));
    // ceil_mode keeps the odd border row: 28 -> 14 -> 7 -> 4 -> 2.
    return pool_ ? max_pool2d(y, {2, 2}, {2, 2}, {0, 0}, /*ceil_mode=*/true) : y;
  }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;

 private:
  bool pool_;
};

class SimpleCnn : public Model {
 public:
  explicit SimpleCnn(const ModelConfig& config) : Model("SimpleCnn") {
    static constexpr int64_t kWidths[] = {32, 64, 128, 256, 256};
    stages = register_module("stages", std::make_shared<Sequential>());
    int64_t channels = config.in_chans;
    for (int i = 0; i < 5; ++i) {
      stages->add(std::make_shared<ConvStage>(channels, kWidths[i], /*pool=*/i < 4));
      channels = kWidths[i];
    }
    // As timm's ResNet: global_pool and fc at the top level.
    set_head(std::make_shared<ClassifierHead>(
                 channels, config.num_classes,
                 ClassifierHeadConfig{.drop_rate = config.drop_rate, .fc_name = "fc"}),
             /*name=*/"");
  }

  Tensor forward_features(const Tensor& x) override {  // x: [B, H, W, C]
    // With checkpointing, one checkpoint per stage.
    return grad_checkpointing() ? checkpoint_seq(*stages, x)
                                : (*stages)(x);  // [B, H/16, W/16, 256]
  }

  std::shared_ptr<Sequential> stages;
};

class LogisticRegression : public Model {
 public:
  explicit LogisticRegression(const ModelConfig& config)
      : Model("LogisticRegression"),
        num_features_(config.in_chans * config.img_size * config.img_size),
        img_size_(config.img_size) {
    set_head(std::make_shared<ClassifierHead>(
                 num_features_, config.num_classes,
                 ClassifierHeadConfig{
                     .pool = HeadPool::none, .drop_rate = config.drop_rate, .fc_name = "fc"}),
             /*name=*/"");
  }

  Tensor forward_features(const Tensor& x) override {
    FOVEA_CHECK(x.dim() == 4 && x.size(1) * x.size(2) * x.size(3) == num_features_,
                "logreg: built for {}x{} images with {} input features, got input {}", img_size_,
                img_size_, num_features_, shape_str(x.shape()));
    return x.flatten(1);  // [B, H*W*C]
  }

 private:
  int64_t num_features_;
  int64_t img_size_;
};

}  // namespace

std::vector<ModelInfo> simple_models() {
  return {
      {.name = "simple_cnn",
       .family = "simple",
       .default_img_size = 224,
       .create = [](const ModelConfig& c) { return std::make_shared<SimpleCnn>(c); }},
      {.name = "logreg",
       .family = "simple",
       .default_img_size = 28,
       .smoke_img_size = 28,
       .create = [](const ModelConfig& c) { return std::make_shared<LogisticRegression>(c); }},
  };
}

}  // namespace fovea
