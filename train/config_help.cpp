// `fovea train --help-config`: every key of the one list (train/config_fields.h) with what
// it may hold, its default and its help, by section, as timm's `train.py --help` lists its
// options.
#include "train/config.h"
#include "train/config_values.h"

namespace fovea::train {

namespace config_values {

std::vector<std::string> wrap_words(std::string_view text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + std::string(word);
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace config_values

namespace {

struct HelpWriter {
  std::string out;
  std::string section;

  template <typename T>
  void field(std::string_view path, T&, const std::type_identity_t<T>& default_value,
             const FieldRule& rule, std::string_view help) {
    const std::string_view top = path.substr(0, path.find('.'));
    if (top != section) {
      section = top;
      out += fmt::format("\n{}:\n", section);
    }
    out += fmt::format("  {}  ({}; default {})\n", path, config_values::describe<T>(rule),
                       config_values::value_text(default_value));
    for (const std::string& line : config_values::wrap_words(help, 84)) {
      out += fmt::format("      {}\n", line);
    }
  }
};

}  // namespace

std::string config_help() {
  TrainConfig scratch;
  HelpWriter writer;
  visit_config_fields(scratch, writer);
  return "The keys of a training config (configs/*.yaml), each set in its section of the file\n"
         "or with `fovea train --set section.key=value`. A key left out keeps its default.\n" +
         writer.out;
}

}  // namespace fovea::train
