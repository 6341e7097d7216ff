#pragma once
// Random numbers for the data pipeline. Every random choice of a transform, a sampler or a
// batch mix is a pure function of (seed, epoch, sample index, stream): a Philox counter
// holds the epoch, the index and the stream, and the seed is the key (kernels/philox.h).
// Nothing is shared between threads, so a sample gets the same crop and colour whichever
// worker makes it and in whatever order, and a resumed run redraws exactly the same.
#include <cmath>
#include <cstdint>

#include "kernels/philox.h"

namespace fovea::data {

// Which sample of which epoch a draw is for.
struct SampleKey {
  uint64_t seed = 0;
  uint64_t epoch = 0;
  uint64_t index = 0;
};

class Rng {
 public:
  // `stream` separates independent users of the same key: the position of a transform in
  // a pipeline, the sampler, the batch mixer. Up to 2^16 streams and 2^48 indices.
  Rng(const SampleKey& key, uint32_t stream)
      : seed_(key.seed),
        epoch_(static_cast<uint32_t>(key.epoch)),
        index_low_(static_cast<uint32_t>(key.index)),
        index_high_and_stream_((static_cast<uint32_t>(key.index >> 32) & 0xFFFFu) |
                               (stream << 16)) {}

  uint32_t bits() {
    if (used_ == 4) {
      const kernels::Philox4 counter = {{block_++, epoch_, index_low_, index_high_and_stream_}};
      buffer_ = kernels::philox4x32_10(counter, static_cast<uint32_t>(seed_),
                                       static_cast<uint32_t>(seed_ >> 32));
      used_ = 0;
    }
    return buffer_.v[used_++];
  }

  // Uniform in [0, 1), from 53 random bits.
  double uniform() {
    const uint64_t high = bits() >> 5, low = bits() >> 6;  // 27 + 26 bits
    return (static_cast<double>(high) * 67108864.0 + static_cast<double>(low)) *
           (1.0 / 9007199254740992.0);
  }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }

  // Integer uniform in [low, high), like Python's random.randrange / torch.randint. The
  // multiply-shift maps 64 random bits onto the range; its bias (range / 2^64) is far
  // below anything a data pipeline can notice.
  int64_t integer(int64_t low, int64_t high) {
    const uint64_t range = static_cast<uint64_t>(high - low);
    const uint64_t draw = (static_cast<uint64_t>(bits()) << 32) | bits();
    return low + static_cast<int64_t>(
                     static_cast<uint64_t>((static_cast<unsigned __int128>(draw) * range) >> 64));
  }

  // Standard normal by Box-Muller (1 - u keeps the logarithm finite).
  double normal() {
    constexpr double kTwoPi = 6.283185307179586;
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(kTwoPi * u2);
  }

  // Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 use the boost
  // Gamma(a) = Gamma(a + 1) * U^(1/a).
  double gamma(double shape) {
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(1.0 - uniform(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = 1.0 - uniform();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
  }

  // Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) (numpy's method).
  double beta(double a, double b) {
    const double x = gamma(a), y = gamma(b);
    return x / (x + y);
  }

 private:
  uint64_t seed_;
  uint32_t epoch_, index_low_, index_high_and_stream_;
  uint32_t block_ = 0;
  kernels::Philox4 buffer_{};
  int used_ = 4;
};

}  // namespace fovea::data
