#pragma once
// Random number generation. A Generator is a Philox key (the seed) plus a block offset;
// every op that needs randomness reserves a range of blocks and draws from it with
// kernels/philox.h, on the CPU or the GPU alike. Saving (seed, offset) saves the stream.
#include <cstdint>
#include <mutex>

namespace fovea {

struct RngState {
  uint64_t seed = 0;
  uint64_t offset = 0;  // in Philox blocks of four 32-bit draws
  bool operator==(const RngState&) const = default;
};

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : state_{seed, 0} {}
  void manual_seed(uint64_t seed);
  RngState state() const;
  void set_state(RngState state);
  // Reserves `draws` 32-bit numbers and returns the state to draw them from: draw i is
  // kernels::philox_draw(state.seed, state.offset, i).
  RngState reserve(uint64_t draws);

 private:
  mutable std::mutex mutex_;
  RngState state_;
};

// The process-wide generator used by randn, rand, dropout and drop_path by default.
Generator& default_generator();
void manual_seed(uint64_t seed);

// Sets the default generator to `state` for its lifetime, then puts back the state it
// found (used to replay dropout masks exactly when a checkpointed segment recomputes).
class RngStateGuard {
 public:
  explicit RngStateGuard(RngState state);
  ~RngStateGuard();
  RngStateGuard(const RngStateGuard&) = delete;
  RngStateGuard& operator=(const RngStateGuard&) = delete;

 private:
  RngState saved_;
};

}  // namespace fovea
