#pragma once
// Where a step's time goes: multiply-accumulate counting and the per-op profiler.
//
// MACs. The ops fvcore counts (conv2d, linear, matmul, attention, and the norms at its
// per-element rates) add their MACs to a thread-local counter, so `fovea summary` reports
// GMACs per layer the way timm's published numbers count them. The backward halves of
// conv2d and the matmuls count theirs too, so the profiler can give their GFLOP/s.
//
// The profiler. Every op opens an OpScope at its top and every autograd node one around
// its backward. While a Profiler is alive on a thread, the scopes on that thread record:
// per (op, pass) the calls, the total time, the self time (total minus the ops it called),
// the MACs and the bytes it moved. Profiler::key_averages() is the table
// torch.profiler's key_averages() prints, with the pass (forward, backward, optimizer)
// split out and the achieved GFLOP/s or GB/s added. Without a Profiler an OpScope costs
// one thread-local load. On the CPU the times come from the steady clock around the op;
// for an op on a CUDA tensor the scope also records a CUDA event before and after it on
// the tensor's stream, so the table's CUDA columns are device time, and it pushes the op
// onto the NVTX timeline as the modules and backward nodes already do.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace fovea {

class Tensor;

void count_macs(int64_t macs);
int64_t macs_counted();  // since the thread started; take differences

namespace profile {

enum class Phase : uint8_t { forward, backward, optimizer };
const char* phase_name(Phase phase);

class Recorder;  // the state of a live Profiler (engine/profile.cpp)
// The recorder of this thread's live Profiler, or null.
Recorder* active_recorder();

// What an op's inputs are, for the byte count and the device the op runs on.
struct Inputs {
  int64_t bytes = 0;
  int cuda_device = -1;  // the first CUDA input's device, -1 when all are on the CPU
  void add(const Tensor& tensor);
  void add(const std::vector<Tensor>& tensors);
  void add(const Inputs& more);
};

// Opened at the top of an op: `const profile::OpScope scope("conv2d", x, weight, bias);`.
// `name` must outlive the Profiler (a string literal, as every op name is). The bytes
// the op moved are counted as its inputs' bytes plus the bytes of the tensors it
// allocates: a lower bound on its memory traffic, which is what a GB/s figure of a
// memory-bound op should be measured against. For an op whose inputs are not tensors (an
// optimizer's parameter records), pass a function returning Inputs instead: it is called
// only while a profiler records.
class OpScope {
 public:
  template <typename... Args>
  explicit OpScope(const char* name, const Args&... inputs) {
    if (active_recorder() == nullptr) return;
    Inputs summary;
    (add_input(summary, inputs), ...);
    open(name, summary);
  }
  ~OpScope() {
    if (open_) close();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  template <typename Arg>
  static void add_input(Inputs& summary, const Arg& input) {
    if constexpr (std::is_invocable_v<const Arg&>) {
      summary.add(input());
    } else {
      summary.add(input);
    }
  }
  void open(const char* name, const Inputs& inputs);
  void close();
  bool open_ = false;
};

// Ops run inside it count under `phase` (autograd opens one for the backward; the trainer
// and `fovea bench` one around the optimizer's step). Phases nest; the innermost counts.
class PhaseScope {
 public:
  explicit PhaseScope(Phase phase);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  Phase previous_;
};

// Tensors an op allocates count as bytes it wrote (engine/tensor.cpp calls this).
void count_allocated(int64_t bytes);

// One row of the table: every call of one op in one pass.
struct OpStats {
  std::string name;
  Phase phase = Phase::forward;
  int64_t calls = 0;
  double cpu_total_ms = 0, cpu_self_ms = 0;
  double cuda_total_ms = 0, cuda_self_ms = 0;  // zero for ops that ran on the CPU
  double self_macs = 0;                        // MACs counted by the op itself
  double self_bytes = 0;                       // bytes it read and allocated itself
  bool on_cuda = false;
  double self_ms() const { return on_cuda ? cuda_self_ms : cpu_self_ms; }
};

// Records on the thread that makes it, from construction to stop() (or destruction).
// One per thread at a time.
class Profiler {
 public:
  Profiler();
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Ends the recording; the wall time measured runs from construction to here.
  void stop();
  double wall_ms() const;
  // The rows, largest self time first. Waits for the CUDA events it reads.
  std::vector<OpStats> key_averages() const;
  // key_averages() as a table, in the form torch.profiler prints, over `steps` steps,
  // ending with how much of the wall time the ops' self times account for.
  std::string table(int64_t steps, int64_t max_rows = 40) const;

 private:
  Recorder* recorder_;
  double wall_ms_ = -1;
};

// The sum of the rows' self times (device time for CUDA rows), in milliseconds.
double self_ms_sum(const std::vector<OpStats>& rows);

}  // namespace profile
}  // namespace fovea
