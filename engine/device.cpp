#include "engine/device.h"

#include "kernels/error.h"

#include "engine/cuda_backend.h"

namespace fovea {

Device Device::parse(const std::string& text) {
  if (text == "cpu") return cpu();
  if (text == "cuda") return cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string digits = text.substr(5);
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos) {
      return cuda(std::stoi(digits));
    }
  }
  fail("unknown device '{}': expected 'cpu', 'cuda' or 'cuda:N'", text);
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", index);
}

int cuda_device_count() { return cuda::device_count(); }

bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace fovea
