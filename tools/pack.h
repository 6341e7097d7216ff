#pragma once
// `fovea pack SRC DEST --size 160 [--max-side]`: decode an ImageFolder once into a packed
// cache that training reads without JPEG decoding (data/pack.h).
#include <CLI/CLI.hpp>

namespace fovea::tools {

void add_pack_command(CLI::App& app);

}  // namespace fovea::tools
