#include "models/summary.h"

#include <map>

namespace fovea {

namespace {

class SummaryObserver final : public ModuleObserver {
 public:
  explicit SummaryObserver(Model& model) {
    for (auto& [name, module] : model.named_modules()) names_[module] = name;
  }
  void before(Module&, const Tensor&) override { stack_.push_back(macs_counted()); }
  void after(Module& module, const Tensor& output) override {
    const int64_t macs = macs_counted() - stack_.back();
    stack_.pop_back();
    if (!module.children().empty()) return;  // leaves only; parents are their sum
    int64_t own = 0;
    for (const auto& [name, p] : module.named_parameters()) own += p.numel();
    auto it = names_.find(&module);
    layers.push_back({it == names_.end() ? "?" : it->second, module.type_name(),
                      output.defined() ? output.shape() : Shape{}, own, macs});
  }
  std::vector<LayerSummary> layers;

 private:
  std::map<const Module*, std::string> names_;
  std::vector<int64_t> stack_;
};

std::string human(double value, const char* unit) {
  if (value >= 1e9) return fmt::format("{:.2f} G{}", value / 1e9, unit);
  if (value >= 1e6) return fmt::format("{:.2f} M{}", value / 1e6, unit);
  if (value >= 1e3) return fmt::format("{:.1f} K{}", value / 1e3, unit);
  return fmt::format("{:.0f} {}", value, unit);
}

}  // namespace

ModelSummary summarize(Model& model, int64_t img_size, int64_t in_chans) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  SummaryObserver observer(model);
  const int64_t before = macs_counted();
  {
    ObserveModules watch(&observer);
    model(zeros({1, img_size, img_size, in_chans}));
  }
  model.train(was_training);
  ModelSummary s;
  s.layers = std::move(observer.layers);
  s.total_macs = macs_counted() - before;
  s.total_parameters = model.num_parameters();
  s.trainable_parameters = model.num_parameters(/*trainable_only=*/true);
  for (const LayerSummary& layer : s.layers) s.activation_bytes += shape_numel(layer.output_shape) * 4;
  return s;
}

std::string format_summary(const ModelSummary& s, const std::string& title) {
  std::string out = title + "\n";
  out += fmt::format("{:<44} {:<20} {:<22} {:>12} {:>12}\n", "layer", "type", "output", "params", "MACs");
  out += std::string(114, '-') + "\n";
  for (const LayerSummary& l : s.layers) {
    out += fmt::format("{:<44} {:<20} {:<22} {:>12} {:>12}\n", l.name, l.type, shape_str(l.output_shape),
                       l.parameters, l.macs > 0 ? human(static_cast<double>(l.macs), "") : "-");
  }
  out += std::string(114, '-') + "\n";
  out += fmt::format("parameters: {} total, {} trainable\n", s.total_parameters, s.trainable_parameters);
  out += fmt::format("GMACs: {:.3f}\n", static_cast<double>(s.total_macs) / 1e9);
  out += fmt::format("activations (batch 1, f32): {}\n", human(static_cast<double>(s.activation_bytes), "B"));
  return out;
}

}  // namespace fovea
