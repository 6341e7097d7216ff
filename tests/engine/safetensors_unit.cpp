// safetensors round trips every dtype, writes atomically, and rejects damaged files
// with messages that name the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/testing.h"

namespace fovea {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("fovea_test_" + name)).string();
}

TEST(Safetensors, RoundTripsEveryDtype) {
  const std::string path = temp_path("roundtrip.safetensors");
  TensorMap tensors;
  tensors["a.f32"] = randn({2, 3});
  tensors["b.f64"] = randn({4}, {.dtype = DType::f64});
  tensors["c.bf16"] = randn({3, 1}).to(DType::bf16);
  tensors["d.f16"] = randn({5}).to(DType::f16);
  tensors["e.i64"] = arange(7);
  tensors["f.i32"] = arange(3).to(DType::i32);
  tensors["g.u8"] = arange(4).to(DType::u8);
  tensors["h.bool"] = gt(randn({6}), 0.0);
  tensors["i.strided"] = randn({4, 5}).transpose(0, 1);  // saved contiguous
  tensors["j.scalar"] = scalar_tensor(3.5, DType::f32);
  save_safetensors(path, tensors, {{"format", "pt"}});
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const SafetensorsFile loaded = load_safetensors(path);
  EXPECT_EQ(loaded.metadata.at("format"), "pt");
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (const auto& [name, original] : tensors) {
    const Tensor& back = loaded.tensors.at(name);
    EXPECT_EQ(back.dtype(), original.dtype()) << name;
    EXPECT_ALL_CLOSE(back.to(DType::f64), original.to(DType::f64), 0, 0) << name;
  }
  std::filesystem::remove(path);
}

TEST(Safetensors, DamagedFilesGiveClearErrors) {
  const std::string path = temp_path("damaged.safetensors");
  save_safetensors(path, {{"w", randn({16, 16})}});
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 10);  // truncated
  try {
    load_safetensors(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("tensor 'w'"), std::string::npos) << e.what();
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "not a safetensors file at all";
  }
  EXPECT_THROW(load_safetensors(path), Error);
  EXPECT_THROW(load_safetensors(temp_path("does_not_exist.safetensors")), Error);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fovea
