#include "engine/device.h"

#include "engine/error.h"

#ifdef FOVEA_HAS_CUDA
#include <cuda_runtime.h>
#endif

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

int cuda_device_count() {
#ifdef FOVEA_HAS_CUDA
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

bool cuda_available() { return cuda_device_count() > 0; }

}  // namespace fovea
