#pragma once
// Philox4x32-10 (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2, 3", SC'11).
// A counter-based generator: draw i of a stream is a pure function of (key, counter), so
// the CPU and the GPU produce the same numbers for the same seed, in any order, and a
// run resumed from a checkpoint only needs (seed, offset) to continue exactly.
#include <cstdint>

#if defined(__CUDACC__)
#define FOVEA_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FOVEA_HOST_DEVICE inline
#endif

namespace fovea::kernels {

struct Philox4 {
  uint32_t v[4];
};

// Ten rounds of Philox4x32 on a 128-bit counter with a 64-bit key.
FOVEA_HOST_DEVICE Philox4 philox4x32_10(Philox4 ctr, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = ctr.v[0], c1 = ctr.v[1], c2 = ctr.v[2], c3 = ctr.v[3];
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return {{c0, c1, c2, c3}};
}

// fovea's streams use a 64-bit block counter (the upper counter words stay zero) and the
// 64-bit seed as the key.
FOVEA_HOST_DEVICE Philox4 philox_block(uint64_t block, uint64_t seed) {
  const Philox4 ctr = {{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u}};
  return philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Draw `index` of the stream that starts at block `offset` (4 draws per block).
FOVEA_HOST_DEVICE uint32_t philox_draw(uint64_t seed, uint64_t offset, uint64_t index) {
  return philox_block(offset + index / 4, seed).v[index % 4];
}

// Uniform in [0, 1) with 24 random bits: exactly representable, identical on every device.
FOVEA_HOST_DEVICE float uniform_from_bits(uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

}  // namespace fovea::kernels
