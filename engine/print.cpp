// Tensor::str(): prints a tensor the way torch.Tensor.__repr__ does (torch/_tensor_str.py):
// one width for every element, 4 decimals or scientific notation chosen from the value
// range, integer-valued floats as "1.", summarised with "..." past 1000 elements, and
// dtype/device/grad suffixes when they differ from the defaults.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"

namespace fovea {

namespace {

constexpr int64_t kEdgeItems = 3;
constexpr int64_t kSummaryThreshold = 1000;
constexpr int64_t kLineWidth = 80;

enum class FloatStyle { integer, fixed, scientific };

class ElementFormatter {
 public:
  ElementFormatter(const std::vector<double>& shown, DType dtype) : dtype_(dtype) {
    if (is_floating(dtype)) choose_float_style(shown);
    for (double v : shown) width_ = std::max(width_, format_raw(v).size());
  }
  size_t width() const { return width_; }
  std::string format(double v) const {
    std::string s = format_raw(v);
    return std::string(width_ - std::min(width_, s.size()), ' ') + s;
  }

 private:
  void choose_float_style(const std::vector<double>& shown) {
    std::vector<double> finite_nonzero;
    for (double v : shown) {
      if (std::isfinite(v) && v != 0.0) finite_nonzero.push_back(std::abs(v));
    }
    if (finite_nonzero.empty()) return;
    const double max_abs = *std::max_element(finite_nonzero.begin(), finite_nonzero.end());
    const double min_abs = *std::min_element(finite_nonzero.begin(), finite_nonzero.end());
    const bool all_integers = std::all_of(finite_nonzero.begin(), finite_nonzero.end(),
                                          [](double v) { return std::ceil(v) == v; });
    if (all_integers) {
      style_ = (max_abs / min_abs > 1000.0 || max_abs > 1e8) ? FloatStyle::scientific
                                                             : FloatStyle::integer;
    } else if (max_abs / min_abs > 1000.0 || max_abs > 1e8 || min_abs < 1e-4) {
      style_ = FloatStyle::scientific;
    }
  }

  std::string format_raw(double v) const {
    if (dtype_ == DType::boolean) return v != 0.0 ? "True" : "False";
    if (!is_floating(dtype_)) return fmt::format("{}", static_cast<int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (style_) {
      case FloatStyle::integer: return fmt::format("{:.0f}.", v);
      case FloatStyle::scientific: return fmt::format("{:.4e}", v);
      case FloatStyle::fixed: return fmt::format("{:.4f}", v);
    }
    return "?";
  }

  DType dtype_;
  FloatStyle style_ = FloatStyle::fixed;
  size_t width_ = 0;
};

class Printer {
 public:
  Printer(const std::vector<double>& values, const Shape& shape, DType dtype)
      : values_(values), shape_(shape), strides_(contiguous_strides(shape)),
        summarize_(shape_numel(shape) > kSummaryThreshold),
        formatter_(collect_shown(), dtype) {}

  std::string render(int64_t dim, int64_t offset, int64_t indent) const {
    if (shape_.empty()) return formatter_.format(values_[0]);
    const int64_t size = shape_[dim];
    const bool cut = summarize_ && size > 2 * kEdgeItems;
    if (dim == static_cast<int64_t>(shape_.size()) - 1) return render_row(offset, size, cut, indent);
    std::vector<std::string> slices;
    for (int64_t i = 0; i < size; ++i) {
      if (cut && i == kEdgeItems) {
        slices.push_back("...");
        i = size - kEdgeItems - 1;
        continue;
      }
      slices.push_back(render(dim + 1, offset + i * strides_[dim], indent + 1));
    }
    const int64_t remaining_dims = static_cast<int64_t>(shape_.size()) - dim - 1;
    const std::string sep = "," + std::string(remaining_dims, '\n') + std::string(indent + 1, ' ');
    return "[" + fmt::format("{}", fmt::join(slices, sep)) + "]";
  }

 private:
  std::string render_row(int64_t offset, int64_t size, bool cut, int64_t indent) const {
    std::vector<std::string> items;
    const int64_t step = strides_.back();
    for (int64_t i = 0; i < size; ++i) {
      if (cut && i == kEdgeItems) {
        items.push_back(" ...");
        i = size - kEdgeItems - 1;
        continue;
      }
      items.push_back(formatter_.format(values_[offset + i * step]));
    }
    const int64_t per_line = std::max<int64_t>(
        1, (kLineWidth - indent) / static_cast<int64_t>(formatter_.width() + 2));
    std::vector<std::string> lines;
    for (size_t i = 0; i < items.size(); i += per_line) {
      const auto end = items.begin() + std::min(items.size(), i + per_line);
      lines.push_back(fmt::format("{}", fmt::join(items.begin() + i, end, ", ")));
    }
    return "[" + fmt::format("{}", fmt::join(lines, ",\n" + std::string(indent + 1, ' '))) + "]";
  }

  // The elements that will be printed, which decide the shared format.
  std::vector<double> collect_shown() const {
    if (!summarize_) return values_;
    std::vector<double> shown;
    collect(0, 0, shown);
    return shown;
  }
  void collect(size_t dim, int64_t offset, std::vector<double>& out) const {
    if (dim == shape_.size()) {
      out.push_back(values_[offset]);
      return;
    }
    const int64_t size = shape_[dim];
    for (int64_t i = 0; i < size; ++i) {
      if (size > 2 * kEdgeItems && i == kEdgeItems) i = size - kEdgeItems;
      collect(dim + 1, offset + i * strides_[dim], out);
    }
  }

  const std::vector<double>& values_;
  Shape shape_;
  Shape strides_;
  bool summarize_;
  ElementFormatter formatter_;
};

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const std::vector<double> values = to_vector<double>();
  std::string body;
  if (numel() == 0) {
    body = "[]";
  } else {
    Printer printer(values, shape(), dtype());
    body = printer.render(0, 0, 7);  // 7 = strlen("tensor(")
  }
  std::string suffix;
  if (numel() == 0 && dim() != 1) suffix += fmt::format(", size=({})", fmt::join(shape(), ", "));
  if (device().is_cuda()) suffix += fmt::format(", device='{}'", device().str());
  if (dtype() != DType::f32 && dtype() != DType::i64 && dtype() != DType::boolean) {
    suffix += fmt::format(", dtype={}", dtype_torch_name(dtype()));
  }
  if (grad_fn()) {
    suffix += fmt::format(", grad_fn=<{}>", grad_fn()->name());
  } else if (requires_grad()) {
    suffix += ", requires_grad=True";
  }
  return "tensor(" + body + suffix + ")";
}

}  // namespace fovea
