#include "models/efficientnet_builder.h"

#include <cctype>
#include <cmath>
#include <sstream>

namespace fovea {

namespace {

BlockType block_type(const std::string& name, const std::string& block_string) {
  if (name == "ir") return BlockType::inverted_residual;
  if (name == "ds" || name == "dsa") return BlockType::depthwise_separable;
  if (name == "cn") return BlockType::conv_bn_act;
  fail("block string '{}': unknown block type '{}' (expected ir, ds, dsa or cn)", block_string,
       name);
}

std::string activation_name(const std::string& code, const std::string& block_string) {
  if (code == "re") return "relu";
  if (code == "r6") return "relu6";
  if (code == "hs") return "hard_swish";
  if (code == "sw") return "swish";
  fail("block string '{}': unknown activation 'n{}' (expected nre, nr6, nhs or nsw)", block_string,
       code);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

// timm's _scale_stage_depth: scale the stage's total repeats (rounding up), then share
// them out over its block strings from the last to the first, so that a stage's distinct
// first block is the one least likely to be repeated.
std::vector<int64_t> scale_repeats(const std::vector<int64_t>& repeats, double depth_multiplier) {
  int64_t remaining = 0;
  for (int64_t r : repeats) remaining += r;
  auto remaining_scaled =
      static_cast<int64_t>(std::ceil(static_cast<double>(remaining) * depth_multiplier));
  std::vector<int64_t> scaled(repeats.size());
  for (size_t i = repeats.size(); i-- > 0;) {
    const double share = static_cast<double>(repeats[i]) / static_cast<double>(remaining) *
                         static_cast<double>(remaining_scaled);
    scaled[i] = std::max<int64_t>(1, static_cast<int64_t>(std::nearbyint(share)));  // round()
    remaining -= repeats[i];
    remaining_scaled -= scaled[i];
  }
  return scaled;
}

ModulePtr make_block(BlockType type, const BlockConfig& config) {
  switch (type) {
    case BlockType::conv_bn_act:
      return std::make_shared<ConvBnAct>(config);
    case BlockType::depthwise_separable:
      return std::make_shared<DepthwiseSeparableConv>(config);
    case BlockType::inverted_residual:
      return std::make_shared<InvertedResidual>(config);
  }
  fail("efficientnet builder: unhandled block type");
}

}  // namespace

BlockArgs decode_block(const std::string& block_string) {
  const std::vector<std::string> ops = split(block_string, '_');
  FOVEA_CHECK(!ops.empty(), "block string is empty");
  BlockArgs args;
  args.type = block_type(ops[0], block_string);
  args.pw_act = ops[0] == "dsa";
  args.noskip = ops[0] == "dsa";
  bool has_repeats = false, has_channels = false, has_stride = false;
  for (size_t i = 1; i < ops.size(); ++i) {
    const std::string& op = ops[i];
    if (op == "noskip") {
      args.noskip = true;
      continue;
    }
    if (op.size() > 1 && op[0] == 'n') {
      args.act = activation_name(op.substr(1), block_string);
      continue;
    }
    // A letter key followed by a number: "r2", "e4.5", "se0.25".
    const size_t digit = op.find_first_of("0123456789");
    FOVEA_CHECK(digit != std::string::npos && digit > 0,
                "block string '{}': cannot read option '{}'", block_string, op);
    const std::string key = op.substr(0, digit);
    const std::string value = op.substr(digit);
    if (key == "r") {
      args.repeats = std::stoll(value);
      has_repeats = true;
    } else if (key == "k") {
      args.kernel = std::stoll(value);
    } else if (key == "s") {
      args.stride = std::stoll(value);
      has_stride = true;
    } else if (key == "e") {
      // Depthwise-separable blocks carry "e1" in timm's strings but have no expansion.
      if (args.type == BlockType::inverted_residual) args.exp_ratio = std::stod(value);
    } else if (key == "c") {
      args.out_chs = std::stoll(value);
      has_channels = true;
    } else if (key == "se") {
      args.se_ratio = std::stod(value);
    } else {
      fail("block string '{}': option '{}' is not supported (r, k, s, e, c, se, n.., noskip)",
           block_string, op);
    }
  }
  FOVEA_CHECK(has_repeats && has_channels && has_stride,
              "block string '{}' needs r<repeats>, s<stride> and c<channels>", block_string);
  FOVEA_CHECK(args.stride == 1 || args.stride == 2, "block string '{}': stride must be 1 or 2",
              block_string);
  FOVEA_CHECK(args.type != BlockType::conv_bn_act || args.se_ratio == 0.0,
              "block string '{}': cn blocks have no squeeze-excite", block_string);
  return args;
}

std::vector<std::vector<BlockArgs>> decode_arch_def(const ArchDef& arch_def,
                                                    double depth_multiplier) {
  std::vector<std::vector<BlockArgs>> stages;
  for (const std::vector<std::string>& block_strings : arch_def) {
    std::vector<BlockArgs> decoded;
    std::vector<int64_t> repeats;
    for (const std::string& block_string : block_strings) {
      decoded.push_back(decode_block(block_string));
      repeats.push_back(decoded.back().repeats);
    }
    const std::vector<int64_t> scaled = scale_repeats(repeats, depth_multiplier);
    std::vector<BlockArgs> stage;
    for (size_t i = 0; i < decoded.size(); ++i) {
      for (int64_t r = 0; r < scaled[i]; ++r) stage.push_back(decoded[i]);
    }
    stages.push_back(std::move(stage));
  }
  return stages;
}

Stages build_stages(int64_t in_chs, const std::vector<std::vector<BlockArgs>>& stages,
                    const StageOptions& options) {
  std::vector<int64_t> depths;
  for (const auto& stage : stages) depths.push_back(static_cast<int64_t>(stage.size()));
  const std::vector<std::vector<double>> drop_path =
      drop_path_rates(options.drop_path_rate, depths, DropPathEnd::one_past_last_block);
  Stages built{.blocks = std::make_shared<Sequential>()};
  for (size_t s = 0; s < stages.size(); ++s) {
    auto stage = std::make_shared<Sequential>();
    for (size_t i = 0; i < stages[s].size(); ++i) {
      const BlockArgs& args = stages[s][i];
      const BlockConfig config{.in_chs = in_chs,
                               .out_chs = round_channels(args.out_chs, options.channel_multiplier),
                               .kernel = args.kernel,
                               .stride = i == 0 ? args.stride : 1,
                               .exp_ratio = args.exp_ratio,
                               .act = args.act.empty() ? options.act : args.act,
                               .se_ratio = args.se_ratio,
                               .se_style = options.se_style,
                               .noskip = args.noskip,
                               .pw_act = args.pw_act,
                               .drop_path_rate = drop_path[s][i]};
      stage->add(make_block(args.type, config));
      in_chs = config.out_chs;
    }
    built.stages.push_back(built.blocks->add(stage));
  }
  built.out_chs = in_chs;
  return built;
}

}  // namespace fovea
