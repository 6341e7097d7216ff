// `fovea predict --weights outputs/run/best_model.safetensors img1.jpg img2.png ...`
#include <iostream>

#include "data/decode.h"
#include "tools/commands.h"
#include "tools/run_files.h"

namespace fovea::tools {

namespace {

struct PredictArgs {
  std::string weights, config;
  std::vector<std::string> images;
  int top_k = 5;
};

void run_predict(const PredictArgs& args) {
  OpenedRun run = open_run(args.weights, args.config, "");
  // The evaluation transforms of the run, applied to each file.
  data::PipelineSpec spec;
  spec.image_size = static_cast<int>(run.data.img_size);
  spec.train = false;
  spec.channels = static_cast<int>(run.data.in_chans);
  spec.crop_fraction = run.config.data.crop_fraction;
  spec.clahe_clip = run.config.data.clahe;
  spec.normalization = run.data.normalization;
  const data::Pipeline pipeline(spec);
  NoGradGuard no_grad;
  for (const std::string& path : args.images) {
    // A large photo is decoded at the reduced scale the eval resize allows (data/decode.h).
    const data::SampleKey key{0, 0, 0};
    data::ScaledImage image = data::read_image_for(
        path, run.data.in_chans == 1 ? data::ColorMode::gray : data::ColorMode::rgb,
        pipeline.decode_need_for(key));
    Shape shape = pipeline.sample_shape();
    shape.insert(shape.begin(), 1);
    Tensor x = empty(shape);
    pipeline.run(std::move(image), key, x.data<float>());
    const Tensor probabilities = softmax(run.model->forward(x), 1).select(0, 0);
    const std::vector<float> p = probabilities.to_vector<float>();
    std::vector<int64_t> order(p.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    std::cout << path << "\n";
    for (int k = 0; k < args.top_k && k < static_cast<int>(order.size()); ++k) {
      std::cout << fmt::format("  {:>6.2f}%  {}\n", 100.0 * p[order[k]],
                               run.data.class_names[order[k]]);
    }
  }
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand("predict", "Print the top-k classes of image files");
  cmd->add_option("--weights,-w", args->weights, "weights file or run folder")->required();
  cmd->add_option("--config", args->config, "config.yaml (default: next to the weights)");
  cmd->add_option("--top-k,-k", args->top_k, "classes to show")->check(CLI::PositiveNumber);
  cmd->add_option("images", args->images, "JPEG/PNG/BMP files")->required();
  cmd->callback([args] { run_predict(*args); });
}

}  // namespace fovea::tools
