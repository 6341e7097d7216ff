#include "train/ablation.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <iostream>

#include "train/config.h"
#include "train/plot.h"
#include "train/trainer.h"

namespace fovea::train {

namespace fs = std::filesystem;

namespace {

std::vector<std::pair<std::string, std::string>> overrides_of(const YAML::Node& map,
                                                              const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!map) return out;
  FOVEA_CHECK(map.IsMap(), "{}: 'set' must map keys to values, e.g. set: {{training.lr: 0.1}}",
              where);
  for (auto it = map.begin(); it != map.end(); ++it) {
    YAML::Emitter value;
    value << YAML::Flow << it->second;
    out.emplace_back(it->first.as<std::string>(), value.c_str());
  }
  return out;
}

std::string short_value(const std::string& key, const std::string& value) {
  const std::string leaf = key.substr(key.rfind('.') + 1);
  if (value == "true") return leaf;
  if (value == "false") return "no_" + leaf;
  return leaf == "name" ? value : leaf + value;
}

// Appends every combination of the grid's values to `runs`.
void expand_grid(const YAML::Node& grid, const std::string& where, std::vector<AblationRun>& runs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (auto it = grid.begin(); it != grid.end(); ++it) {
    // A copy: `it->second` lives in a temporary proxy that ends with its statement.
    const YAML::Node listed = it->second;
    FOVEA_CHECK(listed.IsSequence(), "{}: grid key '{}' must list its values", where,
                it->first.as<std::string>());
    std::vector<std::string> values;
    for (const auto& v : listed) {
      YAML::Emitter e;
      e << YAML::Flow << v;
      values.push_back(e.c_str());
    }
    axes.emplace_back(it->first.as<std::string>(), values);
  }
  std::vector<AblationRun> combos = {AblationRun{}};
  for (const auto& [key, values] : axes) {
    std::vector<AblationRun> next;
    for (const AblationRun& partial : combos) {
      for (const std::string& value : values) {
        AblationRun run = partial;
        run.overrides.emplace_back(key, value);
        if (!run.name.empty()) run.name += '_';
        run.name += short_value(key, value);
        next.push_back(run);
      }
    }
    combos = next;
  }
  runs.insert(runs.end(), combos.begin(), combos.end());
}

std::string cell(double value, const char* format = "{:.4f}") {
  return std::isnan(value) ? "—" : fmt::format(fmt::runtime(format), value);
}

}  // namespace

AblationPlan load_ablation_plan(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail("cannot read ablation plan '{}': {}", path, e.what());
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    FOVEA_CHECK(key == "name" || key == "base" || key == "output" || key == "set" ||
                    key == "runs" || key == "grid",
                "{}:{}: unknown plan key '{}' (expected name, base, output, set, runs, grid)", path,
                it->first.Mark().line + 1, key);
  }
  AblationPlan plan;
  plan.name = root["name"] ? root["name"].as<std::string>() : fs::path(path).stem().string();
  FOVEA_CHECK(root["base"], "{}: the plan needs 'base: <config file>'", path);
  plan.base_config = (fs::path(path).parent_path() / root["base"].as<std::string>()).string();
  plan.output_dir = root["output"] ? root["output"].as<std::string>()
                                   : (fs::path("outputs") / ("ablation_" + fs::path(path).stem().string())).string();
  plan.common = overrides_of(root["set"], path);
  if (root["runs"]) {
    for (const YAML::Node& entry : root["runs"]) {
      FOVEA_CHECK(entry["name"], "{}:{}: every run needs a name", path, entry.Mark().line + 1);
      plan.runs.push_back({entry["name"].as<std::string>(), overrides_of(entry["set"], path)});
    }
  }
  if (root["grid"]) expand_grid(root["grid"], path, plan.runs);
  FOVEA_CHECK(!plan.runs.empty(), "{}: the plan has no runs (give 'runs' or 'grid')", path);
  return plan;
}

std::vector<AblationResult> run_ablation(const AblationPlan& plan, const AblationOptions& options) {
  fs::create_directories(plan.output_dir);
  std::vector<AblationResult> results;
  for (size_t i = 0; i < plan.runs.size(); ++i) {
    const AblationRun& run = plan.runs[i];
    const fs::path dir = fs::path(plan.output_dir) / run.name;
    AblationResult result{.run = run.name};
    if (fs::exists(dir / "metrics.json")) {
      result.summary = read_metrics_json(dir / "metrics.json");
      result.skipped = true;
      std::cerr << fmt::format("[{}/{}] {}: finished earlier, skipped\n", i + 1, plan.runs.size(), run.name);
    } else {
      std::cerr << fmt::format("[{}/{}] {}\n", i + 1, plan.runs.size(), run.name);
      TrainConfig config = load_config(plan.base_config);
      for (const auto& [key, value] : plan.common) apply_override(config, key + "=" + value);
      for (const auto& [key, value] : run.overrides) apply_override(config, key + "=" + value);
      if (!options.data_root.empty()) apply_override(config, "data.root=" + options.data_root);
      for (const std::string& o : options.overrides) apply_override(config, o);
      config.output.dir = dir.string();
      config.output.run_name = run.name;
      const bool resume = fs::exists(dir / "checkpoint.safetensors");
      Trainer trainer(config, {.resume = resume, .quiet = options.quiet});
      result.summary = trainer.run();
      if (trainer.interrupted()) break;
    }
    results.push_back(result);
  }
  write_file_atomically(fs::path(plan.output_dir) / "ablation.md", ablation_table(plan, results));
  std::vector<std::string> labels;
  std::vector<double> train_acc, val_acc;
  for (const AblationResult& r : results) {
    labels.push_back(r.run);
    train_acc.push_back(r.summary.final_train_accuracy);
    val_acc.push_back(r.summary.validation ? r.summary.validation->classification->accuracy : NAN);
  }
  plot_bars(fs::path(plan.output_dir) / "ablation.png", labels,
            {{"final train acc", train_acc}, {"val acc", val_acc}},
            {.title = plan.name, .y_label = "accuracy"});
  return results;
}

std::string ablation_table(const AblationPlan& plan, const std::vector<AblationResult>& results) {
  std::string out = fmt::format("# {}\n\n", plan.name);
  out += "| Run | Model | Final Train Acc | Val Acc | Val Macro-F1 | Test Acc | Params | Train img/s | Time |\n";
  out += "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const AblationResult& r : results) {
    const RunSummary& s = r.summary;
    const auto metric = [](const std::optional<EvaluationResult>& e, bool f1) {
      return e && e->classification ? (f1 ? e->classification->macro_f1 : e->classification->accuracy)
                                    : NAN;
    };
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {:.2f}M | {} | {} |\n", r.run, s.model_name,
                       cell(s.final_train_accuracy), cell(metric(s.validation, false)),
                       cell(metric(s.validation, true)), cell(metric(s.test, false)),
                       static_cast<double>(s.total_parameters) / 1e6,
                       cell(s.train_images_per_second, "{:.0f}"),
                       s.wall_seconds < 60 ? cell(s.wall_seconds, "{:.0f} s")
                                           : cell(s.wall_seconds / 60.0, "{:.1f} min"));
  }
  return out;
}

}  // namespace fovea::train
