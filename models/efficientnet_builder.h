#pragma once
// timm's EfficientNetBuilder (timm/models/_efficientnet_builder.py): networks of this
// family are written as one short string per stage, e.g. EfficientNet-B0's third stage
// "ir_r2_k5_s2_e6_c40_se0.25" = two inverted residual blocks, 5x5 depthwise kernel, the
// first with stride 2, expansion 6, 40 output channels, squeeze-excite ratio 0.25. The
// builder scales the depth (repeats) and width (channels) of these definitions and turns
// them into stages of blocks named blocks.<stage>.<block>, as timm does.
#include <string>
#include <vector>

#include "layers/container.h"
#include "models/efficientnet_blocks.h"

namespace fovea {

enum class BlockType {
  conv_bn_act,          // "cn"
  depthwise_separable,  // "ds"; "dsa" with an activation after the pointwise conv
  inverted_residual,    // "ir"
};

// One decoded block string. Options: r repeats, k kernel, s stride, e expansion (ir),
// c output channels, se squeeze-excite ratio, n activation (nre relu, nr6 relu6, nhs
// hard_swish, nsw swish), noskip. timm's other options (mixed kernels, CondConv, groups,
// EdgeTPU blocks) are not used by fovea's models and are rejected.
struct BlockArgs {
  BlockType type = BlockType::inverted_residual;
  int64_t repeats = 1;
  int64_t kernel = 3;
  int64_t stride = 1;
  double exp_ratio = 1.0;
  int64_t out_chs = 0;
  double se_ratio = 0.0;
  std::string act;  // empty: the model's activation
  bool noskip = false;
  bool pw_act = false;
};
BlockArgs decode_block(const std::string& block_string);

// The block strings of each stage.
using ArchDef = std::vector<std::vector<std::string>>;
// One BlockArgs per block, per stage. Each stage's repeats are scaled by depth_multiplier
// and rounded up (EfficientNet's compound scaling), as timm's _scale_stage_depth.
std::vector<std::vector<BlockArgs>> decode_arch_def(const ArchDef& arch_def,
                                                    double depth_multiplier = 1.0);

struct StageOptions {
  double channel_multiplier = 1.0;  // output widths go through round_channels
  std::string act;                  // the model's activation
  SqueezeExciteStyle se_style{};
  double drop_path_rate = 0.0;  // rises linearly from 0 at the first block, as timm
};

struct Stages {
  std::shared_ptr<Sequential> blocks;  // stage "i" -> block "j"
  // The same stages, typed: a model checkpoints each block in them, as timm's
  // checkpoint_seq(self.blocks, x, flatten=True).
  std::vector<std::shared_ptr<Sequential>> stages;
  int64_t out_chs = 0;
};
// Only the first block of a stage strides.
Stages build_stages(int64_t in_chs, const std::vector<std::vector<BlockArgs>>& stages,
                    const StageOptions& options);

}  // namespace fovea
