// Loading, checking and writing training configurations (train/config.h).
#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <type_traits>

#include "kernels/error.h"
#include "engine/text.h"
#include "train/config_fields.h"
#include "train/config_source.h"

namespace fovea::train {

namespace {

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

template <typename T>
const char* expected_form() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (is_vector<T>::value) return "a list, e.g. [a, b]";
  return "a value";
}

// One YAML scalar as T, or an error naming where it came from.
template <typename T>
T scalar_as(const YAML::Node& node, const std::string& where, const std::string& path) {
  if (!node.IsScalar()) {
    fail("{}: '{}' must be {}, got a {}", where, path, expected_form<T>(),
         node.IsSequence() ? "list"
         : node.IsMap()    ? "section"
                           : "null");
  }
  const std::string text = node.Scalar();
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // yaml-cpp would read 3.7 as 3; refuse anything that is not a whole number.
      const double as_double = node.as<double>();
      if (as_double != std::floor(as_double)) throw YAML::BadConversion(node.Mark());
    }
    return node.as<T>();
  } catch (const YAML::BadConversion&) {
    fail("{}: '{}' must be {}, got '{}'", where, path, expected_form<T>(), text);
  }
}

template <typename T>
T node_as(const YAML::Node& node, const std::string& where, const std::string& path) {
  if constexpr (is_vector<T>::value) {
    using Item = typename T::value_type;
    T out;
    if (node.IsNull()) return out;
    if (node.IsScalar()) return {scalar_as<Item>(node, where, path)};  // one item
    if (!node.IsSequence()) fail("{}: '{}' must be {}", where, path, expected_form<T>());
    for (const YAML::Node& item : node) out.push_back(scalar_as<Item>(item, where, path));
    return out;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return node.IsNull() ? std::string() : scalar_as<std::string>(node, where, path);
  } else {
    return scalar_as<T>(node, where, path);
  }
}

template <typename T>
void check_rule(const T& value, const FieldRule& rule, const std::string& where,
                const std::string& path) {
  if constexpr (is_vector<T>::value) {
    for (const auto& item : value) check_rule(item, rule, where, path);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!rule.choices.empty() &&
        std::find(rule.choices.begin(), rule.choices.end(), value) == rule.choices.end()) {
      fail("{}: '{}' must be one of {}, got '{}'", where, path, fmt::join(rule.choices, ", "),
           value);
    }
  } else if constexpr (!std::is_same_v<T, bool>) {
    const double v = static_cast<double>(value);
    if (v < rule.min || v > rule.max) {
      fail("{}: '{}' must be in [{}, {}], got {}", where, path, rule.min, rule.max, v);
    }
  }
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
  void field(const std::string& field_path, T& value, const FieldRule& rule) {
    if (field_path != path) return;
    T parsed = node_as<T>(node, where, path);
    check_rule(parsed, rule, where, path);
    value = std::move(parsed);
    found = true;
  }
};

struct KeyLister {
  std::vector<std::string> keys;
  template <typename T>
  void field(const std::string& path, T&, const FieldRule&) {
    keys.push_back(path);
  }
};

struct YamlWriter {
  YAML::Node root{YAML::NodeType::Map};
  template <typename T>
  void field(const std::string& path, T& value, const FieldRule&) {
    // "training.early_stopping.patience" -> root["training"]["early_stopping"]["patience"]
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1) {
      parts.push_back(path.substr(start, dot - start));
    }
    parts.push_back(path.substr(start));
    // yaml-cpp nodes are handles: operator= copies values, reset() moves the handle.
    YAML::Node section = root;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!section[parts[i]].IsMap()) section[parts[i]] = YAML::Node(YAML::NodeType::Map);
      section.reset(section[parts[i]]);
    }
    section[parts.back()] = value;
  }
};

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
  FOVEA_CHECK(c.data.dataset == "fashion_mnist" || !c.data.root.empty(),
              "config: data.root must name a folder for dataset '{}'", c.data.dataset);
  FOVEA_CHECK(c.training.class_weights != "given" || !c.training.class_weight_values.empty(),
              "config: training.class_weights is 'given' but training.class_weight_values is "
              "empty");
  FOVEA_CHECK(c.data.crop_scale.size() == 2 && c.data.crop_scale[0] <= c.data.crop_scale[1],
              "config: data.crop_scale must be [min, max] with min <= max, got [{}]",
              fmt::join(c.data.crop_scale, ", "));
  FOVEA_CHECK(c.training.device == "auto" || c.training.device == "cpu" ||
                  c.training.device.rfind("cuda", 0) == 0,
              "config: training.device must be auto, cpu, cuda or cuda:N, got '{}'",
              c.training.device);
  FOVEA_CHECK(c.training.loss != "bce" || c.data.mixup == 0.0,
              "config: mixup/cutmix soft targets need loss cross_entropy, not bce");
  const double warmup = c.training.warmup_steps > 0 ? 0.0 : c.training.warmup_epochs;
  FOVEA_CHECK(warmup < static_cast<double>(c.training.epochs),
              "config: training.warmup_epochs ({}) must be shorter than training.epochs ({})",
              c.training.warmup_epochs, c.training.epochs);
}

std::string to_yaml(const TrainConfig& config) {
  TrainConfig copy = config;
  YamlWriter writer;
  visit_config_fields(copy, writer);
  YAML::Emitter out;
  out << writer.root;
  return std::string("# The configuration this run used, with every default filled in.\n") +
         out.c_str() + "\n";
}

}  // namespace fovea::train
