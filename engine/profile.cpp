#include "engine/profile.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "engine/cuda_backend.h"
#include "engine/tensor.h"

namespace fovea {

namespace {
thread_local int64_t tls_macs = 0;
}

void count_macs(int64_t macs) {
  tls_macs += macs;
}
int64_t macs_counted() {
  return tls_macs;
}

namespace profile {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

thread_local Recorder* tls_recorder = nullptr;
thread_local Phase tls_phase = Phase::forward;

}  // namespace

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::forward:
      return "forward";
    case Phase::backward:
      return "backward";
    case Phase::optimizer:
      return "optimizer";
  }
  return "?";
}

// The state of one live Profiler. An open scope is a Frame on `stack`; closing it adds its
// total to its row and to its parent frame's children, so self = total - children.
class Recorder {
 public:
  struct Frame {
    int row;
    Clock::time_point start;
    int64_t macs_at_start, allocated_at_start, input_bytes;
    double children_ms = 0;
    int64_t children_macs = 0, children_allocated = 0;
    int cuda_span = -1;  // index into spans_, when the op ran on a CUDA tensor
  };
  // A CUDA op's two events; resolved into device time only when the table is read.
  struct CudaSpan {
    int row, parent;  // parent: the enclosing CUDA span, -1 at the top
    int device;
    int64_t begin_mark, end_mark = -1;
  };

  Clock::time_point started = Clock::now();
  std::vector<OpStats> rows;
  std::vector<CudaSpan> spans;
  int64_t allocated = 0;

  void open(const char* name, const Inputs& inputs) {
    Frame frame{row_of(name, tls_phase), Clock::now(), tls_macs, allocated, inputs.bytes};
    if (inputs.cuda_device >= 0) {
      int parent = -1;
      for (auto f = stack_.rbegin(); f != stack_.rend() && parent < 0; ++f) parent = f->cuda_span;
      frame.cuda_span = static_cast<int>(spans.size());
      spans.push_back(
          {frame.row, parent, inputs.cuda_device, cuda::profile_mark(inputs.cuda_device)});
      cuda::timeline_push(name);
    }
    stack_.push_back(frame);
  }

  void close() {
    const Frame frame = stack_.back();
    stack_.pop_back();
    if (frame.cuda_span >= 0) {
      cuda::timeline_pop();
      CudaSpan& span = spans[frame.cuda_span];
      span.end_mark = cuda::profile_mark(span.device);
    }
    const double total_ms = ms_between(frame.start, Clock::now());
    const int64_t macs = tls_macs - frame.macs_at_start;
    const int64_t allocated_here = allocated - frame.allocated_at_start;
    OpStats& row = rows[frame.row];
    ++row.calls;
    row.cpu_total_ms += total_ms;
    row.cpu_self_ms += total_ms - frame.children_ms;
    row.self_macs += static_cast<double>(macs - frame.children_macs);
    row.self_bytes +=
        static_cast<double>(frame.input_bytes + allocated_here - frame.children_allocated);
    row.on_cuda = row.on_cuda || frame.cuda_span >= 0;
    if (!stack_.empty()) {
      Frame& parent = stack_.back();
      parent.children_ms += total_ms;
      parent.children_macs += macs;
      parent.children_allocated += allocated_here;
    }
  }

 private:
  int row_of(const char* name, Phase phase) {
    // Op names are literals, so the pointer is the fast key; equal strings at different
    // addresses (one name spelled in two files) still land in one row through the string.
    const auto found = by_pointer_.find({name, phase});
    if (found != by_pointer_.end()) return found->second;
    const std::string key = std::string(name) + '/' + phase_name(phase);
    auto [it, inserted] = by_name_.try_emplace(key, static_cast<int>(rows.size()));
    if (inserted) rows.push_back({.name = name, .phase = phase});
    by_pointer_[{name, phase}] = it->second;
    return it->second;
  }

  struct PointerKey {
    const char* name;
    Phase phase;
    bool operator==(const PointerKey&) const = default;
  };
  struct PointerHash {
    size_t operator()(const PointerKey& k) const {
      return std::hash<const void*>()(k.name) ^ static_cast<size_t>(k.phase);
    }
  };
  std::unordered_map<PointerKey, int, PointerHash> by_pointer_;
  std::unordered_map<std::string, int> by_name_;
  std::vector<Frame> stack_;
};

Recorder* active_recorder() {
  return tls_recorder;
}

void Inputs::add(const Tensor& tensor) {
  if (!tensor.defined()) return;
  bytes += tensor.numel() * static_cast<int64_t>(dtype_size(tensor.dtype()));
  if (cuda_device < 0 && tensor.device().type == DeviceType::CUDA) {
    cuda_device = tensor.device().index;
  }
}

void Inputs::add(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors) add(t);
}

void Inputs::add(const Inputs& more) {
  bytes += more.bytes;
  if (cuda_device < 0) cuda_device = more.cuda_device;
}

void OpScope::open(const char* name, const Inputs& inputs) {
  tls_recorder->open(name, inputs);
  open_ = true;
}

void OpScope::close() {
  // The profiler may have stopped inside the op; the frame then has nowhere to go.
  if (tls_recorder != nullptr) tls_recorder->close();
}

PhaseScope::PhaseScope(Phase phase) : previous_(tls_phase) {
  tls_phase = phase;
}
PhaseScope::~PhaseScope() {
  tls_phase = previous_;
}

void count_allocated(int64_t bytes) {
  if (tls_recorder != nullptr) tls_recorder->allocated += bytes;
}

Profiler::Profiler() : recorder_(new Recorder) {
  FOVEA_CHECK(tls_recorder == nullptr,
              "profile::Profiler: this thread already has a live profiler; stop it first");
  tls_recorder = recorder_;
}

Profiler::~Profiler() {
  stop();
  if (!recorder_->spans.empty()) cuda::profile_release_marks();
  delete recorder_;
}

void Profiler::stop() {
  if (tls_recorder != recorder_) return;
  wall_ms_ = ms_between(recorder_->started, Clock::now());
  tls_recorder = nullptr;
}

double Profiler::wall_ms() const {
  return wall_ms_ >= 0 ? wall_ms_ : ms_between(recorder_->started, Clock::now());
}

std::vector<OpStats> Profiler::key_averages() const {
  std::vector<OpStats> rows = recorder_->rows;
  const auto& spans = recorder_->spans;
  for (const Recorder::CudaSpan& span : spans) {
    if (span.end_mark < 0) continue;  // still open when the profiler stopped
    const double ms = cuda::profile_elapsed_ms(span.begin_mark, span.end_mark);
    rows[span.row].cuda_total_ms += ms;
    rows[span.row].cuda_self_ms += ms;
    if (span.parent >= 0) rows[spans[span.parent].row].cuda_self_ms -= ms;
  }
  std::erase_if(rows, [](const OpStats& r) { return r.calls == 0; });
  std::stable_sort(rows.begin(), rows.end(),
                   [](const OpStats& a, const OpStats& b) { return a.self_ms() > b.self_ms(); });
  return rows;
}

double self_ms_sum(const std::vector<OpStats>& rows) {
  double sum = 0;
  for (const OpStats& r : rows) sum += r.self_ms();
  return sum;
}

}  // namespace profile
}  // namespace fovea
