#pragma once
// The configuration's closed sets of choices. Each is an enum class with one name table,
// choices_of(), which the loader parses with, whose names the "must be one of" errors,
// config.yaml and --help-config print, and nothing else spells. Code past the loader
// switches on the enum values.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "data/sampler.h"
#include "engine/device.h"

namespace fovea::train {

template <typename E>
struct Choice {
  E value;
  std::string_view name;
};

enum class DatasetKind { fashion_mnist, imagefolder, packed };
constexpr auto choices_of(DatasetKind) {
  using enum DatasetKind;
  return std::to_array<Choice<DatasetKind>>(
      {{fashion_mnist, "fashion_mnist"}, {imagefolder, "imagefolder"}, {packed, "packed"}});
}

enum class Normalize { dataset, imagenet };
constexpr auto choices_of(Normalize) {
  using enum Normalize;
  return std::to_array<Choice<Normalize>>({{dataset, "dataset"}, {imagenet, "imagenet"}});
}

// data.sampler names the loader's own kinds; `sequential` is evaluation's and not offered.
constexpr auto choices_of(data::SamplerKind) {
  using enum data::SamplerKind;
  return std::to_array<Choice<data::SamplerKind>>(
      {{shuffle, "shuffle"}, {class_balanced, "class_balanced"}});
}

enum class OptimizerKind { adamw, sgd };
constexpr auto choices_of(OptimizerKind) {
  using enum OptimizerKind;
  return std::to_array<Choice<OptimizerKind>>({{adamw, "adamw"}, {sgd, "sgd"}});
}

enum class ScheduleKind { cosine, step, multistep, plateau, constant };
constexpr auto choices_of(ScheduleKind) {
  using enum ScheduleKind;
  return std::to_array<Choice<ScheduleKind>>({{cosine, "cosine"},
                                              {step, "step"},
                                              {multistep, "multistep"},
                                              {plateau, "plateau"},
                                              {constant, "constant"}});
}

enum class LossKind { cross_entropy, focal, bce };
constexpr auto choices_of(LossKind) {
  using enum LossKind;
  return std::to_array<Choice<LossKind>>(
      {{cross_entropy, "cross_entropy"}, {focal, "focal"}, {bce, "bce"}});
}

enum class ClassWeighting { none, balanced, given };
constexpr auto choices_of(ClassWeighting) {
  using enum ClassWeighting;
  return std::to_array<Choice<ClassWeighting>>(
      {{none, "none"}, {balanced, "balanced"}, {given, "given"}});
}

enum class Amp { off, bf16, fp16 };
constexpr auto choices_of(Amp) {
  using enum Amp;
  return std::to_array<Choice<Amp>>({{off, "off"}, {bf16, "bf16"}, {fp16, "fp16"}});
}

enum class MonitorMode { max, min };
constexpr auto choices_of(MonitorMode) {
  using enum MonitorMode;
  return std::to_array<Choice<MonitorMode>>({{max, "max"}, {min, "min"}});
}

template <typename E>
concept ConfigChoice = std::is_enum_v<E> && requires(E e) {
  choices_of(e).size();
};

template <ConfigChoice E>
std::string_view choice_name(E value) {
  for (const Choice<E>& choice : choices_of(E{})) {
    if (choice.value == value) return choice.name;
  }
  return "?";  // unreachable for values the loader made
}

template <ConfigChoice E>
std::optional<E> choice_named(std::string_view name) {
  for (const Choice<E>& choice : choices_of(E{})) {
    if (choice.name == name) return choice.value;
  }
  return std::nullopt;
}

// "adamw, sgd" (or with another separator).
template <ConfigChoice E>
std::string choice_list(std::string_view separator = ", ") {
  std::string out;
  for (const Choice<E>& choice : choices_of(E{})) {
    if (!out.empty()) out += separator;
    out += choice.name;
  }
  return out;
}

// training.device: a fixed device, or auto: the first GPU when one is visible, else the CPU.
struct DeviceChoice {
  bool automatic = false;
  Device device = Device::cpu();  // when not automatic

  // "auto", "cpu", "cuda" or "cuda:N"; nullopt for anything else.
  static std::optional<DeviceChoice> parse(std::string_view text);
  std::string name() const;  // what parse() reads back: "auto", "cpu", "cuda:N"
  Device resolve() const;    // the device a run uses on this machine
  bool operator==(const DeviceChoice&) const = default;
};

}  // namespace fovea::train
