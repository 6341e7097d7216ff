#pragma once
// Internals of the config visitors (train/config.cpp, train/config_help.cpp): how each kind
// of field is read from YAML, checked against its rule, written back, and described.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kernels/error.h"
#include "train/config_fields.h"

namespace fovea::train::config_values {

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

template <typename T>
constexpr bool is_number = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

// What a value of type T looks like, for errors and --help-config.
template <typename T>
std::string expected_form() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (ConfigChoice<T>) return "one of " + choice_list<T>();
  if constexpr (std::is_same_v<T, DeviceChoice>) return "auto, cpu, cuda or cuda:N";
  if constexpr (is_vector<T>::value) return "a list, e.g. [a, b]";
  return "a value";
}

// `text` broken at spaces into lines of at most `width` characters (longer words stay whole).
std::vector<std::string> wrap_words(std::string_view text, size_t width);

// "in [0, 1]", ">= 0", "<= 10", or "" for a rule without bounds.
inline std::string range_text(const FieldRule& rule) {
  const bool low = std::isfinite(rule.min), high = std::isfinite(rule.max);
  if (low && high) return fmt::format("in [{}, {}]", rule.min, rule.max);
  if (low) return fmt::format(">= {}", rule.min);
  if (high) return fmt::format("<= {}", rule.max);
  return "";
}

// What --help-config says a field may hold: "a number in [0, 1]", "one of adamw, sgd",
// "a list of integers >= 0".
template <typename T>
std::string describe(const FieldRule& rule) {
  if constexpr (is_vector<T>::value) {
    using Item = typename T::value_type;
    const std::string items = std::is_same_v<Item, std::string> ? "strings"
                              : std::is_integral_v<Item>        ? "integers"
                                                                : "numbers";
    const std::string range = range_text(rule);
    return "a list of " + items + (range.empty() ? "" : " " + range);
  } else if constexpr (is_number<T>) {
    const std::string range = range_text(rule);
    return expected_form<T>() + (range.empty() ? "" : " " + range);
  } else {
    return expected_form<T>();
  }
}

template <typename T>
void check_rule(const T& value, const FieldRule& rule, const std::string& where,
                const std::string& path) {
  if constexpr (is_vector<T>::value) {
    for (const auto& item : value) check_rule(item, rule, where, path);
  } else if constexpr (is_number<T>) {
    const double v = static_cast<double>(value);
    if (v < rule.min || v > rule.max) {
      fail("{}: '{}' must be {}, got {}", where, path, range_text(rule), v);
    }
  }
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
  if constexpr (ConfigChoice<T>) {
    if (const std::optional<T> value = choice_named<T>(text)) return *value;
    fail("{}: '{}' must be {}, got '{}'", where, path, expected_form<T>(), text);
  } else if constexpr (std::is_same_v<T, DeviceChoice>) {
    if (const std::optional<DeviceChoice> value = DeviceChoice::parse(text)) return *value;
    fail("{}: '{}' must be {}, got '{}'", where, path, expected_form<T>(), text);
  } else {
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
}

// A field's value from YAML, checked against its rule.
template <typename T>
T parse(const YAML::Node& node, const FieldRule& rule, const std::string& where,
        const std::string& path) {
  T value;
  if constexpr (is_vector<T>::value) {
    using Item = typename T::value_type;
    if (node.IsScalar()) {
      value = {scalar_as<Item>(node, where, path)};  // one item
    } else if (!node.IsNull()) {
      if (!node.IsSequence()) fail("{}: '{}' must be {}", where, path, expected_form<T>());
      for (const YAML::Node& item : node) value.push_back(scalar_as<Item>(item, where, path));
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    value = node.IsNull() ? std::string() : scalar_as<std::string>(node, where, path);
  } else {
    value = scalar_as<T>(node, where, path);
  }
  check_rule(value, rule, where, path);
  return value;
}

// Writes a field's value as parse() reads it back; lists in flow style ([a, b]).
template <typename T>
void emit(YAML::Emitter& out, const T& value) {
  if constexpr (is_vector<T>::value) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& item : value) emit(out, item);
    out << YAML::EndSeq;
  } else if constexpr (std::is_floating_point_v<T>) {
    out << fmt::format("{}", value);  // the shortest text that reads back exactly: 0.1, 1e-08
  } else if constexpr (ConfigChoice<T>) {
    out << std::string(choice_name(value));
  } else if constexpr (std::is_same_v<T, DeviceChoice>) {
    out << value.name();
  } else {
    out << value;
  }
}

// The value as it appears in config.yaml: simple_cnn, 0.1, "", [0.08, 1].
template <typename T>
std::string value_text(const T& value) {
  YAML::Emitter out;
  emit(out, value);
  return out.c_str();
}

}  // namespace fovea::train::config_values
