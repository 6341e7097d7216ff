#include "tools/commands.h"

#include <iostream>
#include <memory>

#include "data/image_folder.h"
#include "data/pack.h"
#include "train/progress.h"

namespace fovea::tools {

namespace {

struct PackArgs {
  std::string source;
  std::string destination;
  int size = 160;
  bool max_side = false;
  std::string interpolation = "bilinear";
  int threads = 0;
  std::string class_map;
  bool gray = false;
};

void run_pack(const PackArgs& args) {
  data::ImageFolderOptions folder_options;
  folder_options.class_map = args.class_map;
  folder_options.color = args.gray ? data::ColorMode::gray : data::ColorMode::rgb;
  const data::ImageFolder folder(args.source, folder_options);
  std::cout << "packing " << folder.size() << " images of " << folder.num_classes()
            << " classes from " << args.source << " into " << args.destination << " ("
            << (args.max_side ? "long" : "short") << " side " << args.size << ", "
            << args.interpolation << ")\n";
  data::PackOptions options;
  options.size = args.size;
  options.max_side = args.max_side;
  options.interpolation = data::parse_interpolation(args.interpolation);
  options.threads = args.threads;
  train::ProgressBar bar(folder.size(), "packing", {.unit = "img"});
  options.progress = [&bar](int64_t done, int64_t) { bar.update(done); };
  const data::PackResult result = data::pack_dataset(folder, args.destination, options);
  bar.finish();
  std::cout << "packed " << result.packed << " images, " << result.bytes / (1024.0 * 1024.0)
            << " MiB of pixels; skipped " << result.skipped.size() << " unreadable file(s)\n";
  for (const std::string& reason : result.skipped) std::cout << "  skipped " << reason << "\n";
}

}  // namespace

void add_pack_command(CLI::App& app) {
  auto args = std::make_shared<PackArgs>();
  CLI::App* pack = app.add_subcommand(
      "pack", "Decode an ImageFolder once into a packed uint8 cache for fast training");
  pack->add_option("SRC", args->source, "ImageFolder root: SRC/<class>/<images>")->required();
  pack->add_option("DEST", args->destination, "folder to write images.u8 and index.bin into")
      ->required();
  pack->add_option("--size", args->size, "short side of the stored images (pixels)")
      ->capture_default_str();
  pack->add_flag("--max-side", args->max_side, "make the long side --size instead of the short");
  pack->add_option("--interpolation", args->interpolation, "bilinear, bicubic, area or nearest")
      ->capture_default_str();
  pack->add_option("--threads", args->threads, "decoding threads (0: all)")->capture_default_str();
  pack->add_option("--class-map", args->class_map, "JSON class map {\"class\": index} to label by");
  pack->add_flag("--gray", args->gray, "store 1-channel grayscale images");
  pack->callback([args] { run_pack(*args); });
}

}  // namespace fovea::tools
