#include "tools/run_files.h"

#include <filesystem>

#include "engine/safetensors.h"

namespace fovea::tools {

namespace fs = std::filesystem;

OpenedRun open_run(const std::string& weights, const std::string& config_path,
                   const std::string& data_override) {
  OpenedRun run;
  run.weights_path =
      fs::is_directory(weights) ? (fs::path(weights) / "best_model.safetensors").string() : weights;
  FOVEA_CHECK(fs::exists(run.weights_path), "weights '{}' do not exist", run.weights_path);
  const fs::path folder = fs::path(run.weights_path).parent_path();
  const std::string config_file =
      config_path.empty() ? (folder / "config.yaml").string() : config_path;
  FOVEA_CHECK(fs::exists(config_file),
              "no config for '{}': expected {} next to the weights (or pass --config)",
              run.weights_path, config_file);
  run.config = train::load_config(config_file);
  if (data_override == "default") {
    run.config.data.dataset = train::DatasetKind::fashion_mnist;
  } else if (!data_override.empty()) {
    run.config.data.dataset = fs::exists(fs::path(data_override) / "index.bin") ||
                                      fs::exists(fs::path(data_override) / "train" / "index.bin")
                                  ? train::DatasetKind::packed
                                  : train::DatasetKind::imagefolder;
    run.config.data.root = data_override;
  }
  run.config.data.max_train_samples = 1;  // the train split is not evaluated
  const std::string scratch = (fs::temp_directory_path() / "fovea_eval").string();
  fs::create_directories(scratch);
  const ModelInfo& info = model_info(run.config.model.name);
  run.data = train::prepare_data(run.config, info.default_img_size, scratch);
  const int64_t classes =
      run.config.model.num_classes > 0 ? run.config.model.num_classes : run.data.num_classes();
  run.model = create_model(
      run.config.model.name,
      {.num_classes = classes, .in_chans = run.data.in_chans, .img_size = run.data.img_size});
  run.model->load_state_dict(load_safetensors(run.weights_path).tensors);
  run.model->eval();
  return run;
}

}  // namespace fovea::tools
