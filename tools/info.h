#pragma once
// `fovea info`: what this build of the engine can do.
#include <CLI/CLI.hpp>

namespace fovea::tools {

void add_info_command(CLI::App& app);

}  // namespace fovea::tools
