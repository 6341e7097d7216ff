// The model subcommands of issue 4:
//   fovea models                                   every model, its parameters and input size
//   fovea summary NAME [--img-size N]              per-layer table, GMACs, activation memory
//   fovea forward --model NAME --weights W --input X --output Y
//   fovea import IN OUT --model NAME --from timm|torchvision
//   fovea attention --model NAME --weights W --image IMG --out MAP.png
#include <iostream>

#include "data/decode.h"
#include "data/normalize.h"
#include "data/resize.h"
#include "layers/init.h"
#include "models/import.h"
#include "models/summary.h"
#include "tools/commands.h"
#include "train/plot.h"

namespace fovea::tools {

namespace {

ModelPtr build_uninitialised(const std::string& name, const ModelConfig& config) {
  init::SkipInitGuard skip;  // weights are counted, or loaded right after
  return create_model(name, config);
}

void list_models() {
  std::cout << fmt::format("{:<32} {:<14} {:>14} {:>6}  {}\n", "model", "family", "params (1000)",
                           "size", "torchvision");
  for (const ModelInfo& info : model_registry()) {
    const int64_t params = build_uninitialised(info.name, {})->num_parameters();
    std::cout << fmt::format("{:<32} {:<14} {:>14} {:>6}  {}\n", info.name, info.family,
                             fmt::format("{:L}", params), info.default_img_size,
                             info.torchvision_name.empty() ? "-" : info.torchvision_name);
  }
}

void summary(const std::string& name, int64_t img_size, int64_t classes) {
  const int64_t size = img_size > 0 ? img_size : model_info(name).default_img_size;
  ModelPtr model = build_uninitialised(name, {.num_classes = classes, .img_size = size});
  const ModelSummary s = summarize(*model, size);
  // The class count the model was built with, which a model may choose (chexnet: 14).
  const int64_t built_classes = model->head().fc ? model->head().fc->out_features() : 0;
  std::cout << format_summary(
      s, fmt::format("{} at {}x{}, {} classes", name, size, size, built_classes));
}

void forward(const std::string& name, const std::string& weights, const std::string& input_path,
             const std::string& output_path, const std::string& device_name) {
  const TensorMap input_file = load_safetensors(input_path).tensors;
  FOVEA_CHECK(!input_file.empty(), "{}: holds no tensor", input_path);
  const Tensor x = input_file.count("input") ? input_file.at("input") : input_file.begin()->second;
  FOVEA_CHECK(x.dim() == 4, "{}: the input must be an NHWC batch [B, H, W, C], got {}", input_path,
              shape_str(x.shape()));
  const TensorMap state = load_safetensors(weights).tensors;
  int64_t classes = 1000;
  ModelPtr probe = build_uninitialised(name, {.in_chans = x.size(3), .img_size = x.size(1)});
  if (state.count(probe->classifier_name() + ".weight")) {
    classes = state.at(probe->classifier_name() + ".weight").size(0);
  }
  ModelPtr model = build_uninitialised(
      name, {.num_classes = classes, .in_chans = x.size(3), .img_size = x.size(1)});
  model->load_state_dict(state);
  const Device device = Device::parse(device_name);
  model->to(device);
  model->eval();
  NoGradGuard no_grad;
  const Tensor logits = model->forward(x.to(device)).cpu();
  save_safetensors(output_path, {{"logits", logits}});
  std::cout << fmt::format("{}: input {} -> logits {} written to {}\n", name, shape_str(x.shape()),
                           shape_str(logits.shape()), output_path);
}

void import_weights(const std::string& in, const std::string& out, const std::string& name,
                    const std::string& source) {
  const TensorMap converted =
      import_state_dict(load_safetensors(in).tensors, name, weight_source(source));
  const std::string head = build_uninitialised(name, {})->classifier_name() + ".weight";
  const int64_t classes = converted.count(head) ? converted.at(head).size(0) : 0;
  ModelPtr model = build_uninitialised(name, {.num_classes = classes});
  model->load_state_dict(converted);  // strict: every key and shape must fit
  save_safetensors(out, converted, {{"model", name}, {"source", source}});
  std::cout << fmt::format("imported {} tensors from {} ({}) into {} for {} ({} classes)\n",
                           converted.size(), in, source, out, name, classes);
}

// Attention rollout (Abnar & Zuidema, 2020): the product over blocks of the head-averaged
// attention plus the identity, rows renormalised; the class token's row, over patches.
Tensor vit_rollout(const std::vector<Tensor>& maps) {
  Tensor rollout;
  for (const Tensor& map : maps) {
    Tensor a = mean(map.select(0, 0), {0});  // [N, N]
    const int64_t n = a.size(0);
    Tensor identity = zeros({n, n});
    for (int64_t i = 0; i < n; ++i) identity.data<float>()[i * n + i] = 1.0f;
    a = add(a.to(DType::f32), identity);
    a = div(a, sum(a, {-1}, true));
    rollout = rollout.defined() ? matmul(a, rollout) : a;
  }
  const int64_t tokens = rollout.size(0) - 1;
  const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(tokens))));
  return rollout.select(0, 0).slice(0, 1, tokens + 1).reshape({side, side});
}

void attention(const std::string& name, const std::string& weights, const std::string& image_path,
               const std::string& out) {
  const TensorMap state = load_safetensors(weights).tensors;
  const ModelInfo& info = model_info(name);
  ModelPtr probe = build_uninitialised(name, {});
  const std::string head = probe->classifier_name() + ".weight";
  const int64_t classes = state.count(head) ? state.at(head).size(0) : 1000;
  ModelPtr model = build_uninitialised(name, {.num_classes = classes});
  model->load_state_dict(state);
  model->eval();
  const data::Image image = data::read_image(image_path, data::ColorMode::rgb);
  const int size = static_cast<int>(info.default_img_size);
  const data::Image resized = data::resize(image, size, size, data::Interpolation::bilinear);
  Tensor x = empty({1, size, size, 3});
  data::normalize_into(resized, data::imagenet_normalization(), x.data<float>());
  NoGradGuard no_grad;
  const std::vector<Tensor> maps = model->attention_maps(x);
  FOVEA_CHECK(!maps.empty(), "attention: {} returned no attention maps", name);
  // ViT maps are [B, heads, N, N] with a class token; Swin's last block attends within
  // windows, so its map is the attention each token receives in its window.
  Tensor heat;
  if (maps.back().dim() == 4 && maps.back().size(0) == 1) {
    heat = vit_rollout(maps);
  } else {
    const Tensor last = maps.back();  // [windows, heads, T, T]
    const int64_t window =
        static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(last.size(2)))));
    const int64_t per_side =
        static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(last.size(0)))));
    const Tensor received = mean(last, {1, 2});  // [windows, T]
    heat = received.reshape({per_side, per_side, window, window})
               .permute({0, 2, 1, 3})
               .reshape({per_side * window, per_side * window});
  }
  train::plot_attention_overlay(out, resized, heat, fmt::format("{} attention", name));
  std::cout << fmt::format("wrote {} ({} attention maps, heat map {})\n", out, maps.size(),
                           shape_str(heat.shape()));
}

}  // namespace

void add_models_command(CLI::App& app) {
  app.add_subcommand("models", "List every model with its parameter count and input size")
      ->callback(list_models);

  auto s = std::make_shared<std::tuple<std::string, int64_t, int64_t>>("", 0, 1000);
  CLI::App* sum = app.add_subcommand("summary", "Per-layer table, GMACs and activation memory");
  sum->add_option("model", std::get<0>(*s), "model name")->required();
  sum->add_option("--img-size", std::get<1>(*s), "input size (default: the model's)");
  sum->add_option("--classes", std::get<2>(*s), "classifier size");
  sum->callback([s] { summary(std::get<0>(*s), std::get<1>(*s), std::get<2>(*s)); });

  auto f = std::make_shared<std::array<std::string, 5>>();
  (*f)[4] = "cpu";
  CLI::App* fwd =
      app.add_subcommand("forward", "One eval-mode forward: input safetensors -> logits");
  fwd->add_option("--model,-m", (*f)[0], "model name")->required();
  fwd->add_option("--weights,-w", (*f)[1], "fovea weights (safetensors)")->required();
  fwd->add_option("--input,-i", (*f)[2], "safetensors with an NHWC 'input'")->required();
  fwd->add_option("--output,-o", (*f)[3], "safetensors to write 'logits' to")->required();
  fwd->add_option("--device", (*f)[4], "cpu or cuda");
  fwd->callback([f] { forward((*f)[0], (*f)[1], (*f)[2], (*f)[3], (*f)[4]); });

  auto i = std::make_shared<std::array<std::string, 4>>();
  (*i)[3] = "timm";
  CLI::App* imp =
      app.add_subcommand("import", "Convert a PyTorch state_dict (safetensors) to fovea");
  imp->add_option("input", (*i)[0], "PyTorch state_dict saved as safetensors")->required();
  imp->add_option("output", (*i)[1], "fovea weights to write")->required();
  imp->add_option("--model,-m", (*i)[2], "model name")->required();
  imp->add_option("--from", (*i)[3], "timm or torchvision")
      ->check(CLI::IsMember({"timm", "torchvision"}));
  imp->callback([i] { import_weights((*i)[0], (*i)[1], (*i)[2], (*i)[3]); });

  auto a = std::make_shared<std::array<std::string, 4>>();
  CLI::App* att = app.add_subcommand("attention", "Draw a ViT or Swin attention map over an image");
  att->add_option("--model,-m", (*a)[0], "a ViT or Swin model")->required();
  att->add_option("--weights,-w", (*a)[1], "fovea weights")->required();
  att->add_option("--image", (*a)[2], "JPEG/PNG image")->required();
  att->add_option("--out,-o", (*a)[3], "PNG to write")->required();
  att->callback([a] { attention((*a)[0], (*a)[1], (*a)[2], (*a)[3]); });
}

}  // namespace fovea::tools
