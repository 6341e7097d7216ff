// CUDA window partition and reverse with Swin's cyclic shift folded in
// (kernels/cuda/window_partition.h; the math is in kernels/window_partition.h).
//
// Math: partition: windows[b, r, c, i, j, :] = x[b, (h + sh) mod H, (w + sw) mod W, :] at
// (h, w) = (r Wh + i, c Ww + j) inside the grid, 0 in the padding; reverse: the same pairs
// copied the other way (the padding tokens are dropped). Window tokens inside the grid and
// pixels are in bijection, so the reverse writes every pixel exactly once.
//
// Design: one kernel for both directions (a template flag). A thread moves one vector V of
// a token's channel row (16 bytes when C * elem_size and both pointers allow; 8, 4, 2 or 1
// otherwise). grid.x walks the windows (the window's image, row and column are decoded
// once per block, uniformly), grid.y and the block's 128 threads walk the window's
// Wh * Ww * C / V vectors, so the per-thread index work is two 32-bit divisions (token and
// vector within the token, row and column within the window) and the wrap of the roll is a
// compare-and-subtract. Window-side accesses are contiguous across the block; grid-side
// accesses are contiguous in runs of one channel row (C * elem_size bytes: 192 B at
// Swin-T stage 1 in bf16) that break only where a window row ends or the roll wraps.
// No shared memory, no atomics: each output vector has exactly one writer.
//
// Roofline (H100, 3.0 TB/s measured copy), Swin-T at batch 64 in bf16, window 7, shift 3:
// each call reads and writes the activation once: stage 1 (56x56x96) 38.5 MB each way,
// 77 MB moved, floor 26 us; stage 2 (28x28x192) 38.5 MB, 13 us; stage 3 (14x14x384)
// 19 MB, 6.4 us; stage 4 (7x7x768) 9.6 MB, 3.2 us (launch- and latency-bound). The
// composition this replaces (roll, then a permuted contiguous copy) moves the bytes
// twice in a shifted block. There are no FLOPs; the target is the d2d copy of the same
// bytes (bench/cuda/window_partition_bench.cpp).
#include "kernels/cuda/window_partition.h"

#include <climits>
#include <cstdint>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_helpers.cuh"

namespace fovea::kernels::cuda {

namespace {

constexpr int kBlock = 128;

// kReverse == false: dst = windows, src = x (partition); true: dst = x, src = windows.
// `vectors` is the channel row in V units; the launcher guarantees that a window holds
// fewer than 2^31 of them.
template <typename V, bool kReverse>
__global__ void window_gather_kernel(const V* __restrict__ src, V* __restrict__ dst,
                                     WindowPartitionShape s, int64_t windows,
                                     unsigned int vectors) {
  const unsigned int window_w = static_cast<unsigned int>(s.window_w);
  const unsigned int per_window = static_cast<unsigned int>(s.window_h) * window_w * vectors;
  for (int64_t window = blockIdx.x; window < windows; window += gridDim.x) {
    const int64_t col = window % s.cols, row = (window / s.cols) % s.rows;
    const int64_t image = window / (s.cols * s.rows);
    const int64_t top = row * s.window_h, left = col * s.window_w;
    const int64_t window_base = window * static_cast<int64_t>(per_window);
    for (unsigned int e = blockIdx.y * blockDim.x + threadIdx.x; e < per_window;
         e += gridDim.y * blockDim.x) {
      const unsigned int token = e / vectors, v = e - token * vectors;
      const unsigned int i = token / window_w, j = token - i * window_w;
      const int64_t h = top + i, w = left + j;
      const int64_t window_at = window_base + e;
      if (h < s.height && w < s.width) {
        int64_t source_h = h + s.shift_h, source_w = w + s.shift_w;
        if (source_h >= s.height) source_h -= s.height;
        if (source_w >= s.width) source_w -= s.width;
        const int64_t grid_at = ((image * s.height + source_h) * s.width + source_w) * vectors + v;
        if constexpr (kReverse) {
          dst[grid_at] = src[window_at];
        } else {
          dst[window_at] = src[grid_at];
        }
      } else if constexpr (!kReverse) {
        dst[window_at] = V{};
      }
    }
  }
}

// Calls launch(V{}) with the widest word in {16, 8, 4, 2, 1} bytes that divides the
// channel row and aligns both pointers.
template <typename Launch>
void with_vector(const void* a, const void* b, int64_t row_bytes, Launch&& launch) {
  auto fits = [&](int64_t bytes) {
    return row_bytes % bytes == 0 && detail::aligned_to(a, bytes) && detail::aligned_to(b, bytes);
  };
  if (fits(16)) return launch(uint4{});
  if (fits(8)) return launch(uint2{});
  if (fits(4)) return launch(uint32_t{});
  if (fits(2)) return launch(uint16_t{});
  return launch(uint8_t{});
}

template <bool kReverse>
void launch_gather(const void* src, void* dst, const WindowPartitionShape& s,
                   int64_t elem_size, cudaStream_t stream, const char* name) {
  const int64_t windows = s.batch * s.rows * s.cols;
  const int64_t row_bytes = s.channels * elem_size;
  if (windows == 0 || row_bytes == 0) return;
  with_vector(src, dst, row_bytes, [&](auto word) {
    using V = decltype(word);
    const int64_t vectors = row_bytes / static_cast<int64_t>(sizeof(V));
    const int64_t per_window = s.window_h * s.window_w * vectors;
    if (per_window > INT_MAX) {
      ::fovea::cuda_kernel_error(std::string(name) +
                                 ": a window of more than 2^31 vectors is not supported");
    }
    const int64_t chunks = (per_window + kBlock - 1) / kBlock;
    const dim3 grid(static_cast<unsigned int>(windows < INT_MAX ? windows : INT_MAX),
                    static_cast<unsigned int>(chunks < 65535 ? chunks : 65535));
    window_gather_kernel<V, kReverse>
        <<<grid, kBlock, 0, stream>>>(static_cast<const V*>(src), static_cast<V*>(dst), s, windows,
                                      static_cast<unsigned int>(vectors));
    ::fovea::check_launch(name);
  });
}

}  // namespace

void window_partition(const void* x, void* windows, const WindowPartitionShape& shape,
                      int64_t elem_size, cudaStream_t stream) {
  launch_gather<false>(x, windows, shape, elem_size, stream, "window_partition");
}

void window_reverse(const void* windows, void* x, const WindowPartitionShape& shape,
                    int64_t elem_size, cudaStream_t stream) {
  launch_gather<true>(windows, x, shape, elem_size, stream, "window_reverse");
}

}  // namespace fovea::kernels::cuda
