// Profiler::table(): key_averages() laid out as torch.profiler's key_averages().table()
// lays it out, with two more columns: the pass, and what the op achieved.
#include <fmt/format.h>

#include <algorithm>

#include "engine/profile.h"

namespace fovea::profile {

namespace {

// torch.profiler's units: microseconds below a millisecond, then milliseconds, then s.
std::string time_str(double ms) {
  if (ms < 1.0) return fmt::format("{:.3f}us", ms * 1e3);
  if (ms < 1e3) return fmt::format("{:.3f}ms", ms);
  return fmt::format("{:.3f}s", ms / 1e3);
}

std::string percent_str(double part, double whole) {
  return whole > 0 ? fmt::format("{:.2f}%", 100.0 * part / whole) : "-";
}

// An op doing more than a flop per byte it moves (convolutions, matrix products) is judged
// by its arithmetic; one doing less (the norms, whose MACs fvcore counts too) by its
// memory traffic.
std::string achieved_str(const OpStats& row) {
  const double seconds = row.self_ms() / 1e3;
  if (seconds <= 0) return "";
  const double flops = 2.0 * row.self_macs;
  if (flops > 0 && flops >= row.self_bytes) {
    return fmt::format("{:.1f} GFLOP/s", flops / seconds / 1e9);
  }
  if (row.self_bytes > 0) return fmt::format("{:.2f} GB/s", row.self_bytes / seconds / 1e9);
  return "";
}

}  // namespace

std::string Profiler::table(int64_t steps, int64_t max_rows) const {
  const std::vector<OpStats> rows = key_averages();
  const bool any_cuda =
      std::any_of(rows.begin(), rows.end(), [](const OpStats& r) { return r.on_cuda; });
  double cpu_self_total = 0, cuda_self_total = 0;
  for (const OpStats& r : rows) {
    cpu_self_total += r.cpu_self_ms;
    cuda_self_total += r.cuda_self_ms;
  }
  size_t name_width = 4;
  for (const OpStats& r : rows) name_width = std::max(name_width, r.name.size());

  std::vector<std::string> header = {"Name",     "Pass",      "Self CPU %",
                                     "Self CPU", "CPU total", "CPU time avg"};
  if (any_cuda) header.insert(header.end(), {"Self CUDA", "Self CUDA %", "CUDA total"});
  header.insert(header.end(), {"# of Calls", "Achieved"});
  std::vector<size_t> widths = {name_width, 9};
  for (size_t i = widths.size(); i < header.size(); ++i)
    widths.push_back(i + 1 == header.size() ? 16 : 12);

  std::string out;
  auto rule = [&] {
    for (size_t i = 0; i < widths.size(); ++i) out += std::string(widths[i], '-') + "  ";
    out.back() = '\n';
  };
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      out += i < 2 ? fmt::format("{:<{}}  ", cells[i], widths[i])
                   : fmt::format("{:>{}}  ", cells[i], widths[i]);
    }
    out.back() = '\n';
  };

  rule();
  line(header);
  rule();
  double left_out_ms = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const OpStats& r = rows[i];
    if (static_cast<int64_t>(i) >= max_rows) {
      left_out_ms += r.self_ms();
      continue;
    }
    std::vector<std::string> cells = {r.name,
                                      phase_name(r.phase),
                                      percent_str(r.cpu_self_ms, cpu_self_total),
                                      time_str(r.cpu_self_ms),
                                      time_str(r.cpu_total_ms),
                                      time_str(r.cpu_total_ms / static_cast<double>(r.calls))};
    if (any_cuda) {
      cells.insert(cells.end(),
                   {time_str(r.cuda_self_ms), percent_str(r.cuda_self_ms, cuda_self_total),
                    time_str(r.cuda_total_ms)});
    }
    cells.insert(cells.end(), {std::to_string(r.calls), achieved_str(r)});
    line(cells);
  }
  rule();
  if (left_out_ms > 0) {
    out += fmt::format("{} more rows, {} of self time together\n",
                       rows.size() - static_cast<size_t>(max_rows), time_str(left_out_ms));
  }
  const double wall = wall_ms();
  const double per_step = static_cast<double>(std::max<int64_t>(steps, 1));
  out += fmt::format("Self CPU time total: {}\n", time_str(cpu_self_total));
  if (any_cuda) out += fmt::format("Self CUDA time total: {}\n", time_str(cuda_self_total));
  out += fmt::format(
      "Wall time: {} over {} steps ({} per step); the ops' self times account for {} of it\n",
      time_str(wall), steps, time_str(wall / per_step), percent_str(self_ms_sum(rows), wall));
  return out;
}

}  // namespace fovea::profile
