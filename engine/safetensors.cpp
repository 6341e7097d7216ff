#include "engine/safetensors.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/autograd.h"

namespace fovea {

namespace {

const char* safetensors_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32: return "F32";
    case DType::f16: return "F16";
    case DType::bf16: return "BF16";
    case DType::f64: return "F64";
    case DType::i32: return "I32";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
    case DType::boolean: return "BOOL";
  }
  return "?";
}

DType dtype_from_safetensors(const std::string& name, const std::string& path,
                             const std::string& key) {
  for (DType d : {DType::f32, DType::f16, DType::bf16, DType::f64, DType::i32, DType::i64,
                  DType::u8, DType::boolean}) {
    if (name == safetensors_dtype(d)) return d;
  }
  fail("{}: tensor '{}' has dtype '{}', which fovea does not read (expected one of F32, F16, "
       "BF16, F64, I32, I64, U8, BOOL)",
       path, key, name);
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  FOVEA_CHECK(in, "cannot open safetensors file '{}'", path);
  in.seekg(0, std::ios::end);
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  uint64_t header_size = 0;
  FOVEA_CHECK(file_size >= 8 && in.read(reinterpret_cast<char*>(&header_size), 8),
              "{}: file is too short to be safetensors ({} bytes)", path, file_size);
  FOVEA_CHECK(header_size <= file_size - 8,
              "{}: header length {} runs past the end of the file ({} bytes); the file is "
              "truncated or not safetensors",
              path, header_size, file_size);
  std::string header_text(header_size, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: header is not valid JSON ({})", path, e.what());
  }
  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;

  SafetensorsFile result;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      for (auto m = it->begin(); m != it->end(); ++m) result.metadata[m.key()] = m->get<std::string>();
      continue;
    }
    const auto& entry = it.value();
    FOVEA_CHECK(entry.contains("dtype") && entry.contains("shape") && entry.contains("data_offsets"),
                "{}: entry '{}' lacks dtype, shape or data_offsets", path, it.key());
    const DType dtype = dtype_from_safetensors(entry["dtype"].get<std::string>(), path, it.key());
    const Shape shape = entry["shape"].get<Shape>();
    const auto offsets = entry["data_offsets"].get<std::vector<uint64_t>>();
    const uint64_t expected = static_cast<uint64_t>(shape_numel(shape)) * dtype_size(dtype);
    FOVEA_CHECK(offsets.size() == 2 && offsets[1] >= offsets[0] && offsets[1] <= data_size &&
                    offsets[1] - offsets[0] == expected,
                "{}: tensor '{}' of shape {} ({}) has data_offsets [{}] that do not match its "
                "size of {} bytes inside {} bytes of data",
                path, it.key(), shape_str(shape), dtype_name(dtype), fmt::join(offsets, ", "),
                expected, data_size);
    Tensor tensor = make_tensor(shape, dtype, Device::cpu());
    in.seekg(static_cast<std::streamoff>(data_start + offsets[0]));
    FOVEA_CHECK(in.read(static_cast<char*>(tensor.raw_data()), static_cast<std::streamsize>(expected)),
                "{}: could not read the {} bytes of tensor '{}'", path, expected, it.key());
    result.tensors.emplace(it.key(), std::move(tensor));
  }
  return result;
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  NoGradGuard no_grad;
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host_tensors;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    FOVEA_CHECK(tensor.defined(), "save_safetensors('{}'): tensor '{}' is undefined", path, name);
    Tensor host = tensor.detach().to(Device::cpu()).contiguous();
    const uint64_t size = host.nbytes();
    header[name] = {{"dtype", safetensors_dtype(host.dtype())},
                    {"shape", host.shape()},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
    host_tensors.push_back(std::move(host));
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  const uint64_t header_size = header_text.size();

  const std::string temp_path = path + ".tmp";
  {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    FOVEA_CHECK(out, "cannot write '{}' (is the directory there and writable?)", temp_path);
    out.write(reinterpret_cast<const char*>(&header_size), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_size));
    for (const Tensor& t : host_tensors) {
      out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
    }
    out.flush();
    FOVEA_CHECK(out, "writing '{}' failed (disk full?)", temp_path);
  }
  std::error_code error;
  std::filesystem::rename(temp_path, path, error);
  FOVEA_CHECK(!error, "cannot rename '{}' to '{}': {}", temp_path, path, error.message());
}

}  // namespace fovea
