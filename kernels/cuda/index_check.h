#pragma once
// CUDA launcher for the index range check of index_select, embedding and gather
// (kernels/cuda/index_check.cu): on the device, so that no call downloads its index.
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

namespace fovea::kernels::cuda {

// The op's name and the indexed dim, passed by value to the kernel for its message; with
// has_ignore, ignore_index is accepted too (a loss's ignored samples).
struct IndexCheckLabel {
  char op[32] = {};
  int64_t dim = 0;
  bool has_ignore = false;
  int64_t ignore_index = 0;
};

inline IndexCheckLabel index_check_label(const char* op, int64_t dim) {
  IndexCheckLabel label;
  std::strncpy(label.op, op, sizeof(label.op) - 1);
  label.dim = dim;
  return label;
}

// Every index[k] (k < count) must lie in [0, size). An entry outside prints
// "fovea: <op>: index <v> is out of range for dim <dim> of size <size>" from the device
// and traps: the launch fails, and the error (with the message on stdout) surfaces at
// the next synchronisation of the stream, as PyTorch's device-side asserts do. Nothing
// is read back on success.
void check_index_range(const int64_t* index, int64_t count, int64_t size,
                       const IndexCheckLabel& label, cudaStream_t stream);

}  // namespace fovea::kernels::cuda
