// f32 GEMM throughput (kernels::cpu::gemm) next to this machine's measured f32 peak.
//
// The peak is measured, not taken from a datasheet: every OpenMP thread runs chains of
// independent vector FMAs (AVX-512 when the build targets it, else AVX2/FMA), enough
// chains to cover the FMA latency on every FMA port, so the loop is bound only by FMA
// throughput at the clock the vector units actually run at. A GEMM counts 2 m n k flops.
//
// Two clocks, because CI and development machines are shared:
// - wall: flops / elapsed time, what a user sees (`GFLOP/s`, `wall_pct_of_peak`);
// - cpu: flops / the CPU time of the busiest thread, i.e. the time the work took while
//   it had the cores, which time given to other processes does not inflate
//   (`cpu_GFLOP/s`, `pct_of_peak`). Spin-waiting counts as busy, so this never flatters.
// On an idle machine the two agree. Rates come from the best of many runs (other
// processes can only slow a run down), and are computed here rather than with
// Counter::kIsRate, which divides by the main thread's CPU time alone.
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>

#include "kernels/gemm.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// CPU time of every OpenMP pool thread (and the main thread), keyed by OS thread id, so
// that a later snapshot can be compared thread by thread whatever team numbering the
// next parallel region uses.
std::map<long, double> pool_cpu_seconds() {
  std::map<long, double> times;
#pragma omp parallel num_threads(omp_get_max_threads())
  {
    const long id = syscall(SYS_gettid);
    const double seconds = thread_cpu_seconds();
#pragma omp critical
    times[id] = seconds;
  }
  return times;
}

// The largest CPU time any thread spent between two snapshots.
double busiest_thread_seconds(const std::map<long, double>& before,
                              const std::map<long, double>& after) {
  double busiest = 0;
  for (const auto& [id, seconds] : after) {
    const auto it = before.find(id);
    busiest = std::max(busiest, seconds - (it == before.end() ? 0.0 : it->second));
  }
  return busiest;
}

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
inline Vec broadcast(float x) {
  return _mm512_set1_ps(x);
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return _mm512_fmadd_ps(a, b, c);
}
constexpr const char* kIsa = "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
inline Vec broadcast(float x) {
  return _mm256_set1_ps(x);
}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  return _mm256_fmadd_ps(a, b, c);
}
constexpr const char* kIsa = "AVX2";
#else
#error "gemm_bench measures the f32 peak with AVX-512 or AVX2/FMA; build with -march=native"
#endif

float lane_sum(Vec v) {
  float lanes[kLanes];
  std::memcpy(lanes, &v, sizeof v);
  float total = 0;
  for (float x : lanes) total += x;
  return total;
}

// FMA latency is 4 cycles on recent x86 cores and there are up to 2 FMA ports: at least
// 8 chains keep them busy; 16 leave slack and still fit in the register file.
constexpr int kChains = 16;

// One thread's FMA loop. The result depends on every chain, so none can be dropped.
float fma_chains(int64_t iterations) {
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = broadcast(0.001f * static_cast<float>(c));
  const Vec scale = broadcast(0.9999999f), shift = broadcast(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = fmadd(acc[c], scale, shift);
  }
  float total = 0;
  for (int c = 0; c < kChains; ++c) total += lane_sum(acc[c]);
  return total;
}

struct Rate {
  double wall_gflops = 0, cpu_gflops = 0;
};

// The FMA loop run on every OpenMP thread at once. Its cpu rate sums each thread's
// flops per second of its own CPU time.
Rate fma_rate(int64_t iterations) {
  const int threads = omp_get_max_threads();
  const double flops_per_thread = 2.0 * kLanes * kChains * static_cast<double>(iterations);
  float sink = 0;
  double cpu_rate = 0;
  const Clock::time_point start = Clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink, cpu_rate)
  {
    const double cpu_start = thread_cpu_seconds();
    sink += fma_chains(iterations);
    cpu_rate += flops_per_thread / (thread_cpu_seconds() - cpu_start);
  }
  const double seconds = seconds_since(start);
  benchmark::DoNotOptimize(sink);
  return {flops_per_thread * threads / seconds / 1e9, cpu_rate / 1e9};
}

constexpr int64_t kPeakIterations = 2'000'000;  // a few ms per run
constexpr int kPeakRuns = 50;

Rate best_of(const Rate& a, const Rate& b) {
  return {std::max(a.wall_gflops, b.wall_gflops), std::max(a.cpu_gflops, b.cpu_gflops)};
}

// The best peak seen so far. Every benchmark below adds runs to it, so a quiet moment
// anywhere raises it, and a GEMM is never compared with a peak measured while busy.
Rate& measured_peak() {
  static Rate peak;
  return peak;
}

Rate remeasure_peak(int runs) {
  for (int run = 0; run < runs; ++run) {
    measured_peak() = best_of(measured_peak(), fma_rate(kPeakIterations));
  }
  return measured_peak();
}

void BM_Fp32Peak(benchmark::State& state) {
  for (auto _ : state) remeasure_peak(1);
  state.counters["GFLOP/s"] = measured_peak().wall_gflops;
  state.counters["cpu_GFLOP/s"] = measured_peak().cpu_gflops;
  state.counters["threads"] = omp_get_max_threads();
  state.SetLabel(kIsa);
}
BENCHMARK(BM_Fp32Peak)->Iterations(kPeakRuns)->Unit(benchmark::kMillisecond)->UseRealTime();

// C = A B (trans_b = 0) or C = A B^T (trans_b = 1, the layout of linear's weight).
void BM_Gemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const bool trans_b = state.range(1) != 0;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (int64_t i = 0; i < n * n; ++i) {
    a[i] = static_cast<float>((i * 7 % 13) - 6) * 0.1f;
    b[i] = static_cast<float>((i * 5 % 11) - 5) * 0.1f;
  }
  const fovea::kernels::GemmShape shape{
      .trans_a = false, .trans_b = trans_b, .m = n, .n = n, .k = n, .lda = n, .ldb = n, .ldc = n};
  fovea::kernels::cpu::gemm(shape, 1.0f, a.data(), b.data(), 0.0f, c.data());  // warm up
  const double flops = 2.0 * static_cast<double>(n * n * n);
  Rate best;
  for (auto _ : state) {
    const std::map<long, double> cpu_before = pool_cpu_seconds();
    const Clock::time_point start = Clock::now();
    fovea::kernels::cpu::gemm(shape, 1.0f, a.data(), b.data(), 0.0f, c.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
    const double wall = seconds_since(start);
    const double cpu = busiest_thread_seconds(cpu_before, pool_cpu_seconds());
    best = best_of(best, {flops / wall / 1e9, flops / cpu / 1e9});
  }
  const Rate peak = remeasure_peak(10);
  state.counters["GFLOP/s"] = best.wall_gflops;
  state.counters["cpu_GFLOP/s"] = best.cpu_gflops;
  state.counters["pct_of_peak"] = 100.0 * best.cpu_gflops / peak.cpu_gflops;
  state.counters["wall_pct_of_peak"] = 100.0 * best.wall_gflops / peak.wall_gflops;
}
BENCHMARK(BM_Gemm)
    ->ArgNames({"n", "trans_b"})
    ->Args({512, 0})
    ->Args({1024, 0})
    ->Args({2048, 0})
    ->Args({1024, 1})
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The products of ViT-B/16 attention for a batch of 2 images (12 heads, 197 tokens,
// head dim 64): scores = Q K^T, then P V, as gemm_batched runs them.
void BM_GemmBatchedAttention(benchmark::State& state) {
  const int64_t batch = state.range(0), len = 197, dim = 64;
  std::vector<float> q(batch * len * dim, 0.01f), k(batch * len * dim, 0.02f);
  std::vector<float> scores(batch * len * len), out(batch * len * dim);
  const fovea::kernels::GemmShape qk{.trans_a = false,
                                          .trans_b = true,
                                          .m = len,
                                          .n = len,
                                          .k = dim,
                                          .lda = dim,
                                          .ldb = dim,
                                          .ldc = len};
  const fovea::kernels::GemmShape pv{.trans_a = false,
                                          .trans_b = false,
                                          .m = len,
                                          .n = dim,
                                          .k = len,
                                          .lda = len,
                                          .ldb = dim,
                                          .ldc = dim};
  const double flops = 2.0 * 2.0 * static_cast<double>(batch * len * len * dim);
  double best_wall = 1e30;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    fovea::kernels::cpu::gemm_batched(qk, batch, 1.0f, q.data(), len * dim, k.data(), len * dim,
                                      0.0f, scores.data(), len * len);
    fovea::kernels::cpu::gemm_batched(pv, batch, 1.0f, scores.data(), len * len, k.data(),
                                      len * dim, 0.0f, out.data(), len * dim);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    best_wall = std::min(best_wall, seconds_since(start));
  }
  const Rate peak = remeasure_peak(10);
  state.counters["GFLOP/s"] = flops / best_wall / 1e9;
  state.counters["wall_pct_of_peak"] = 100.0 * flops / best_wall / 1e9 / peak.wall_gflops;
}
BENCHMARK(BM_GemmBatchedAttention)
    ->ArgName("batch")
    ->Arg(24)
    ->MinTime(1.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
