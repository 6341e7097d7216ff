#pragma once
// Where a tensor's storage lives: the host, or one CUDA device by index.
#include <string>

namespace fovea {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  // "cpu", "cuda", "cuda:1"; anything else throws fovea::Error.
  static Device parse(const std::string& text);

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  bool operator==(const Device& other) const = default;
};

// True when this build has the CUDA backend and at least one GPU is visible.
bool cuda_available();
int cuda_device_count();

}  // namespace fovea
