// Loading, checking and writing training configurations (train/config.h).
#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "engine/text.h"
#include "kernels/error.h"
#include "train/config_fields.h"
#include "train/config_source.h"
#include "train/config_values.h"

namespace fovea::train {

using config_values::emit;
using config_values::parse;

namespace {

// Gives every field of a section its default.
struct DefaultSetter {
  template <typename T>
  void field(std::string_view, T& value, const std::type_identity_t<T>& default_value,
             const FieldRule&, std::string_view) {
    value = default_value;
  }
};

template <typename Section>
void fill_defaults(Section& section) {
  DefaultSetter defaults;
  visit_fields(section, defaults);
}

// Assigns the node to the field whose path matches.
struct Assigner {
  const std::string& path;
  // A copy, not a reference: yaml-cpp's iterator hands out `it->second` from a temporary
  // proxy, which ends with the statement that took it (ASan: stack-use-after-scope).
  const YAML::Node node;
  const std::string& where;
  bool found = false;

  template <typename T>
  void field(std::string_view field_path, T& value, const std::type_identity_t<T>&,
             const FieldRule& rule, std::string_view) {
    if (field_path != path) return;
    value = parse<T>(node, rule, where, path);
    found = true;
  }
};

struct KeyLister {
  std::vector<std::string> keys;
  template <typename T>
  void field(std::string_view path, T&, const std::type_identity_t<T>&, const FieldRule&,
             std::string_view) {
    keys.emplace_back(path);
  }
};

// Writes the fields in list order as nested block maps, each value followed by its help
// as a comment. The list keeps a section's keys together, so a section opens once.
struct YamlWriter {
  bool with_help = true;
  YAML::Emitter out;
  std::vector<std::string> open;  // the sections the emitter is inside, outermost first

  YamlWriter() { out << YAML::BeginMap; }

  template <typename T>
  void field(std::string_view path, T& value, const std::type_identity_t<T>&, const FieldRule&,
             std::string_view help) {
    // "training.early_stopping.patience" -> sections [training, early_stopping], key patience
    std::vector<std::string> sections;
    size_t start = 0;
    for (size_t dot; (dot = path.find('.', start)) != std::string_view::npos; start = dot + 1) {
      sections.emplace_back(path.substr(start, dot - start));
    }
    size_t shared = 0;
    while (shared < open.size() && shared < sections.size() && open[shared] == sections[shared]) {
      ++shared;
    }
    for (; open.size() > shared; open.pop_back()) out << YAML::EndMap;
    for (; open.size() < sections.size(); open.push_back(sections[open.size()])) {
      out << YAML::Key << sections[open.size()] << YAML::Value << YAML::BeginMap;
    }
    const std::string key(path.substr(start));
    out << YAML::Key << key << YAML::Value;
    emit(out, value);
    if (!with_help) return;
    // The comment starts after "<indent><key>: <value>  # " and its lines stay within 100.
    const size_t column =
        2 * open.size() + key.size() + config_values::value_text(value).size() + 6;
    const size_t width = std::max<size_t>(40, 100 - std::min<size_t>(column, 60));
    out << YAML::Comment(
        fmt::format("{}", fmt::join(config_values::wrap_words(help, width), "\n")));
  }

  std::string finish() {
    for (; !open.empty(); open.pop_back()) out << YAML::EndMap;
    out << YAML::EndMap;
    return out.c_str();
  }
};

}  // namespace

ModelSection::ModelSection() {
  fill_defaults(*this);
}
DataSection::DataSection() {
  fill_defaults(*this);
}
TrainingSection::TrainingSection() {
  fill_defaults(*this);
}
OutputSection::OutputSection() {
  fill_defaults(*this);
}

std::optional<DeviceChoice> DeviceChoice::parse(std::string_view text) {
  if (text == "auto") return DeviceChoice{.automatic = true};
  if (text == "cpu") return DeviceChoice{.device = Device::cpu()};
  if (text == "cuda") return DeviceChoice{.device = Device::cuda(0)};
  const std::string_view digits = text.substr(std::min<size_t>(text.size(), 5));
  if (text.starts_with("cuda:") && !digits.empty() && digits.size() <= 4 &&
      digits.find_first_not_of("0123456789") == std::string_view::npos) {
    return DeviceChoice{.device = Device::cuda(std::stoi(std::string(digits)))};
  }
  return std::nullopt;
}

std::string DeviceChoice::name() const {
  return automatic ? "auto" : device.str();
}

Device DeviceChoice::resolve() const {
  if (!automatic) return device;
  return cuda_available() ? Device::cuda(0) : Device::cpu();
}

namespace {

bool is_section(const std::string& path, const std::vector<std::string>& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const std::string& k) { return k.rfind(path + ".", 0) == 0; });
}

std::string unknown_key_message(const std::string& path, const std::vector<std::string>& keys) {
  // Sections are candidates too, so a misspelt section name finds its match.
  std::vector<std::string> candidates = keys;
  for (const std::string& key : keys) {
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
      candidates.push_back(key.substr(0, dot));
    }
  }
  const std::vector<std::string> close = close_matches(path, candidates, 1);
  return close.empty() ? fmt::format("unknown key '{}'", path)
                       : fmt::format("unknown key '{}'; did you mean '{}'?", path, close[0]);
}

void assign_map(TrainConfig& config, const YAML::Node& map, const std::string& prefix,
                const std::string& file, const std::vector<std::string>& keys) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    const std::string where = fmt::format("{}:{}", file, it->first.Mark().line + 1);
    if (is_section(path, keys)) {
      FOVEA_CHECK(it->second.IsMap() || it->second.IsNull(),
                  "{}: '{}' is a section and must hold keys (e.g. {}: {{...}})", where, path, key);
      if (it->second.IsMap()) assign_map(config, it->second, path, file, keys);
      continue;
    }
    Assigner assigner{path, it->second, where};
    visit_config_fields(config, assigner);
    if (!assigner.found) fail("{}: {}", where, unknown_key_message(path, keys));
  }
}

}  // namespace

std::vector<std::string> config_keys() {
  TrainConfig scratch;
  KeyLister lister;
  visit_config_fields(scratch, lister);
  return lister.keys;
}

void set_config_value(TrainConfig& config, const std::string& path, const std::string& value_text,
                      const std::string& where) {
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    fail("{}: the value of '{}' is not valid YAML ('{}'): {}", where, path, value_text, e.msg);
  }
  Assigner assigner{path, value, where};
  visit_config_fields(config, assigner);
  if (!assigner.found) fail("{}: {}", where, unknown_key_message(path, config_keys()));
}

TrainConfig load_yaml_config(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    fail("cannot read config file '{}'", path);
  } catch (const YAML::ParserException& e) {
    fail("{}:{}:{}: YAML syntax error: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  TrainConfig config;
  if (root.IsNull()) return config;
  FOVEA_CHECK(root.IsMap(),
              "{}: the top level must be sections (model:, data:, training:, output:)", path);
  assign_map(config, root, "", path, config_keys());
  return config;
}

TrainConfig load_config(const std::string& path) {
  FOVEA_CHECK(std::filesystem::exists(path), "config file '{}' does not exist", path);
  const std::string ext = std::filesystem::path(path).extension().string();
  TrainConfig config =
      (ext == ".ini" || ext == ".cfg") ? load_ini_config(path) : load_yaml_config(path);
  if (config.output.run_name.empty()) {
    config.output.run_name = std::filesystem::path(path).stem().string();
  }
  return config;
}

void apply_override(TrainConfig& config, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  FOVEA_CHECK(eq != std::string::npos && eq > 0,
              "--set '{}': expected key=value, e.g. training.lr=1e-3", assignment);
  set_config_value(config, assignment.substr(0, eq), assignment.substr(eq + 1),
                   "--set " + assignment);
}

void validate(const TrainConfig& c) {
  FOVEA_CHECK(c.data.dataset == DatasetKind::fashion_mnist || !c.data.root.empty(),
              "config: data.root must name a folder for dataset '{}'", choice_name(c.data.dataset));
  FOVEA_CHECK(
      c.training.class_weights != ClassWeighting::given || !c.training.class_weight_values.empty(),
      "config: training.class_weights is 'given' but training.class_weight_values is "
      "empty");
  FOVEA_CHECK(c.data.crop_scale.size() == 2 && c.data.crop_scale[0] <= c.data.crop_scale[1],
              "config: data.crop_scale must be [min, max] with min <= max, got [{}]",
              fmt::join(c.data.crop_scale, ", "));
  FOVEA_CHECK(c.training.loss != LossKind::bce || (c.data.mixup == 0.0 && c.data.cutmix == 0.0),
              "config: mixup/cutmix soft targets need loss cross_entropy, not bce");
  const double warmup = c.training.warmup_steps > 0 ? 0.0 : c.training.warmup_epochs;
  FOVEA_CHECK(warmup < static_cast<double>(c.training.epochs),
              "config: training.warmup_epochs ({}) must be shorter than training.epochs ({})",
              c.training.warmup_epochs, c.training.epochs);
}

std::string to_yaml(const TrainConfig& config, YamlHelp help) {
  TrainConfig copy = config;
  YamlWriter writer;
  writer.with_help = help == YamlHelp::comments;
  visit_config_fields(copy, writer);
  return "# The configuration this run used, with every default filled in. Each key's help\n"
         "# follows it; `fovea train --help-config` lists them all with their ranges.\n" +
         writer.finish() + "\n";
}

}  // namespace fovea::train
