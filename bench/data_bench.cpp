// Data pipeline throughput: decode + augment for 224-pixel training, from JPEG files and
// from the packed cache, per core and through the threaded Loader. Not a test: nothing
// here passes or fails on timing. bench/data_vs_torchvision.sh runs it next to the same
// pipeline in torchvision and prints the ratios.
//
// The images: 500 JPEG files of 500x375 (quality 90) in 10 class folders, Fashion-MNIST
// pictures upscaled, colourised and given a fine texture so that they compress like
// photographs; and 100 of 1600x1200 (jpeg-large/), where RandomResizedCrop 224 lets
// libjpeg-turbo decode most crops at 1/2 or 1/4 of the size. They are written once into
// $FOVEA_DATA_BENCH_DIR (default /tmp/fovea-data-bench), with packs at short side 160 and
// 256 beside them.
#include <benchmark/benchmark.h>
#include <stb_image.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "data/decode.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/pack.h"
#include "data/packed_dataset.h"
#include "data/pipeline.h"

namespace fovea::data {
namespace {

namespace fs = std::filesystem;

constexpr int kImages = 500, kClasses = 10, kWidth = 500, kHeight = 375;
constexpr int kLargeImages = 100, kLargeWidth = 1600, kLargeHeight = 1200;

Image photo_like(const IdxDataset& source, int index, int height, int width) {
  const Image gray = resize(source.load(index), height, width, Interpolation::bicubic);
  Image rgb(height, width, 3);
  uint32_t noise = 2463534242u + index;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      noise ^= noise << 13, noise ^= noise >> 17, noise ^= noise << 5;  // xorshift32 texture
      const int v = gray.at(y, x, 0), grain = static_cast<int>(noise % 17) - 8;
      const int sky = 40 + (y * 120) / height;
      rgb.at(y, x, 0) = static_cast<uint8_t>(
          std::clamp((v * (90 + index % 160)) / 255 + sky / 2 + grain, 0, 255));
      rgb.at(y, x, 1) =
          static_cast<uint8_t>(std::clamp((v * 200) / 255 + (x * 50) / width + grain, 0, 255));
      rgb.at(y, x, 2) = static_cast<uint8_t>(std::clamp(sky + (255 - v) / 3 + grain, 0, 255));
    }
  }
  return rgb;
}

// `count` photo-like JPEGs in class folders under `folder`, written once.
std::shared_ptr<ImageFolder> jpeg_folder(const fs::path& folder, int count, int height, int width) {
  const fs::path done = folder.string() + ".done";
  if (!fs::exists(done)) {
    const auto source = fashion_mnist("test");
    for (int i = 0; i < count; ++i) {
      const fs::path class_folder = folder / ("class" + std::to_string(i % kClasses));
      fs::create_directories(class_folder);
      write_jpeg(class_folder / (std::to_string(i) + ".jpg"), photo_like(*source, i, height, width),
                 90);
    }
    std::ofstream(done) << "ok\n";
  }
  ImageFolderOptions options;
  options.quiet = true;
  return std::make_shared<ImageFolder>(folder, options);
}

struct BenchData {
  fs::path root;
  std::shared_ptr<ImageFolder> jpeg, large_jpeg;
  std::shared_ptr<PackedDataset> packed160, packed256;
  std::shared_ptr<Pipeline> train224;
};

const BenchData& bench_data() {
  static const BenchData data = [] {
    BenchData d;
    const char* env = std::getenv("FOVEA_DATA_BENCH_DIR");
    d.root = env ? fs::path(env) : fs::temp_directory_path() / "fovea-data-bench";
    d.jpeg = jpeg_folder(d.root / "jpeg", kImages, kHeight, kWidth);
    d.large_jpeg = jpeg_folder(d.root / "jpeg-large", kLargeImages, kLargeHeight, kLargeWidth);
    for (int size : {160, 256}) {
      const fs::path pack = d.root / ("pack" + std::to_string(size));
      if (!fs::exists(pack / kPackIndexFile)) pack_dataset(*d.jpeg, pack, {.size = size});
      (size == 160 ? d.packed160 : d.packed256) = std::make_shared<PackedDataset>(pack);
    }
    PipelineSpec spec;  // RandomResizedCrop 224 (bilinear) + horizontal flip + normalize
    d.train224 = std::make_shared<Pipeline>(spec);
    return d;
  }();
  return data;
}

void report(benchmark::State& state, int64_t images) {
  state.SetItemsProcessed(images);
  state.counters["img/s"] =
      benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}

std::vector<std::vector<uint8_t>> file_bytes(const ImageFolder& folder) {
  std::vector<std::vector<uint8_t>> files;
  for (int64_t i = 0; i < folder.size(); ++i) files.push_back(read_file_bytes(folder.path(i)));
  return files;
}

// The JPEG decode alone (libjpeg-turbo, full size), from bytes in memory (one core).
void BM_DecodeJpeg(benchmark::State& state) {
  const std::vector<std::vector<uint8_t>> files = file_bytes(*bench_data().jpeg);
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_image(files[n % files.size()], "bench").pixels.data());
    ++n;
  }
  report(state, n);
}

// The same with stb_image's decoder, which fovea used before libjpeg-turbo.
void BM_DecodeJpegStb(benchmark::State& state) {
  const std::vector<std::vector<uint8_t>> files = file_bytes(*bench_data().jpeg);
  int64_t n = 0;
  for (auto _ : state) {
    const std::vector<uint8_t>& bytes = files[n % files.size()];
    int width = 0, height = 0, channels = 0;
    uint8_t* pixels = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &width,
                                            &height, &channels, 3);
    benchmark::DoNotOptimize(pixels);
    stbi_image_free(pixels);
    ++n;
  }
  report(state, n);
}

// Read + decode + RandomResizedCrop 224 + flip + normalize to f32, one core. As the Loader
// does, the decoder is told the crop (a JPEG may then decode at a reduced scale), unless
// `full_decode`.
void run_pipeline(benchmark::State& state, const Dataset& dataset, bool full_decode = false) {
  const BenchData& d = bench_data();
  std::vector<float> out(static_cast<size_t>(d.train224->sample_numel()));
  int64_t n = 0;
  for (auto _ : state) {
    const int64_t index = n % dataset.size();
    const SampleKey key{.seed = 0, .epoch = 0, .index = static_cast<uint64_t>(n)};
    if (full_decode) {
      d.train224->run(dataset.load(index), key, out.data());
    } else {
      d.train224->run(dataset.load_for(index, d.train224->decode_need_for(key)), key, out.data());
    }
    benchmark::DoNotOptimize(out.data());
    ++n;
  }
  report(state, n);
}

// The augmentation alone (RandomResizedCrop 224 + flip + normalize) on decoded images.
void BM_AugmentDecoded(benchmark::State& state) {
  const BenchData& d = bench_data();
  std::vector<Image> images;
  for (int64_t i = 0; i < 50; ++i) images.push_back(d.jpeg->load(i));
  std::vector<float> out(static_cast<size_t>(d.train224->sample_numel()));
  int64_t n = 0;
  for (auto _ : state) {
    d.train224->run(images[n % images.size()], {.index = static_cast<uint64_t>(n)}, out.data());
    benchmark::DoNotOptimize(out.data());
    ++n;
  }
  report(state, n);
}

void BM_PipelineFromJpeg(benchmark::State& state) {
  run_pipeline(state, *bench_data().jpeg);
}
void BM_PipelineFromLargeJpeg(benchmark::State& state) {
  run_pipeline(state, *bench_data().large_jpeg);
}
void BM_PipelineFromLargeJpegFullDecode(benchmark::State& state) {
  run_pipeline(state, *bench_data().large_jpeg, true);
}
void BM_PipelineFromPack160(benchmark::State& state) {
  run_pipeline(state, *bench_data().packed160);
}
void BM_PipelineFromPack256(benchmark::State& state) {
  run_pipeline(state, *bench_data().packed256);
}

// The threaded Loader, batches of 32 in f32, with state.range(0) workers; counts images/s
// over whole epochs (wall clock).
void run_loader(benchmark::State& state, std::shared_ptr<const Dataset> dataset) {
  const BenchData& d = bench_data();
  LoaderOptions options{.batch_size = 32, .workers = static_cast<int>(state.range(0))};
  Loader loader(std::move(dataset), d.train224, options);
  int64_t n = 0;
  uint64_t epoch = 0;
  for (auto _ : state) {
    loader.set_epoch(epoch++);
    while (auto batch = loader.next()) n += batch->images.size(0);
  }
  report(state, n);
}

void BM_LoaderFromJpeg(benchmark::State& state) {
  run_loader(state, bench_data().jpeg);
}
void BM_LoaderFromPack160(benchmark::State& state) {
  run_loader(state, bench_data().packed160);
}

BENCHMARK(BM_DecodeJpeg)->MinTime(2.0);
BENCHMARK(BM_DecodeJpegStb)->MinTime(2.0);
BENCHMARK(BM_AugmentDecoded)->MinTime(2.0);
BENCHMARK(BM_PipelineFromJpeg)->MinTime(2.0);
BENCHMARK(BM_PipelineFromLargeJpeg)->MinTime(2.0);
BENCHMARK(BM_PipelineFromLargeJpegFullDecode)->MinTime(2.0);
BENCHMARK(BM_PipelineFromPack160)->MinTime(2.0);
BENCHMARK(BM_PipelineFromPack256)->MinTime(2.0);
BENCHMARK(BM_LoaderFromJpeg)->Arg(1)->Arg(2)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_LoaderFromPack160)->Arg(1)->Arg(2)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace fovea::data

BENCHMARK_MAIN();
