// The `fovea` command. Each subcommand lives in tools/<name>.cpp and adds itself to the
// CLI11 app here.
#include <CLI/CLI.hpp>
#include <iostream>

#include "engine/error.h"
#include "tools/info.h"
#include "tools/pack.h"

int main(int argc, char** argv) {
  CLI::App app{"fovea: train and evaluate image classifiers with a from-scratch C++/CUDA engine"};
  app.set_version_flag("--version", std::string("fovea ") + FOVEA_VERSION);
  app.require_subcommand(0, 1);
  fovea::tools::add_info_command(app);
  fovea::tools::add_pack_command(app);
  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      std::cout << app.help();
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const fovea::Error& e) {
    std::cerr << "fovea: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
