#pragma once
// safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header mapping names to {dtype, shape, data_offsets}, then the
// raw little-endian bytes. fovea keeps weights, checkpoints and test references in it.
#include <map>
#include <string>

#include "engine/tensor.h"

namespace fovea {

using TensorMap = std::map<std::string, Tensor>;
using Metadata = std::map<std::string, std::string>;

struct SafetensorsFile {
  TensorMap tensors;  // CPU tensors, contiguous
  Metadata metadata;  // the optional "__metadata__" string map
};

// Reads every tensor of `path`. Errors name the file and what is wrong with it.
SafetensorsFile load_safetensors(const std::string& path);

// Writes `tensors` (any device; copied to the host) to `path` atomically: the bytes go to
// `path`.tmp, which is then renamed, so a killed process never leaves half a file.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const Metadata& metadata = {});

}  // namespace fovea
