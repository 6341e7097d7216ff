// history.csv: HistoryWriter and read_history_csv (declared in train/report.h).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "train/report.h"

namespace fovea::train {

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  size_t begin = 0;
  while (true) {
    const size_t comma = line.find(',', begin);
    cells.push_back(line.substr(begin, comma - begin));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return cells;
}

// Shortest text that reads back to the same double; NaN is an empty cell.
std::string format_cell(double value) {
  return std::isnan(value) ? "" : fmt::format("{}", value);
}

double parse_cell(const std::string& cell, const std::filesystem::path& path, size_t line,
                  const std::string& column) {
  if (cell.empty()) return kNotMeasured;
  double value = 0;
  const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  FOVEA_CHECK(error == std::errc() && end == cell.data() + cell.size(),
              "{}:{}: column '{}' holds '{}', which is not a number", path.string(), line, column,
              cell);
  return value;
}

// The member holding a standard column (not "epoch"), or null for any other name.
template <typename Record>
auto standard_field(Record& record, std::string_view column) -> decltype(&record.lr) {
  if (column == "train_loss") return &record.train_loss;
  if (column == "train_acc") return &record.train_acc;
  if (column == "val_loss") return &record.val_loss;
  if (column == "val_acc") return &record.val_acc;
  if (column == "val_macro_f1") return &record.val_macro_f1;
  if (column == "lr") return &record.lr;
  if (column == "epoch_seconds") return &record.epoch_seconds;
  return nullptr;
}

std::vector<std::string> all_columns(const std::vector<std::string>& extra) {
  std::vector<std::string> columns = history_standard_columns();
  for (const std::string& name : extra) {
    FOVEA_CHECK(!name.empty() && name.find_first_of(",\"\r\n") == std::string::npos,
                "history.csv: extra column name '{}' must be non-empty and free of commas, "
                "quotes and line breaks",
                name);
    FOVEA_CHECK(std::find(columns.begin(), columns.end(), name) == columns.end(),
                "history.csv: column '{}' is given twice (or is a standard column)", name);
    columns.push_back(name);
  }
  return columns;
}

std::string join(const std::vector<std::string>& cells) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + cells[i];
  return line;
}

struct ParsedHistory {
  std::vector<std::string> columns;
  std::vector<EpochRecord> records;
};

ParsedHistory parse_history(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  FOVEA_CHECK(in, "cannot open history '{}'", path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ParsedHistory parsed;
  size_t line_number = 0;
  for (size_t begin = 0; begin < text.size();) {
    const size_t newline = text.find('\n', begin);
    if (newline == std::string::npos) break;  // a row cut short by a kill
    std::string line = text.substr(begin, newline - begin);
    begin = newline + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> cells = split_csv_line(line);
    if (line_number == 1) {
      FOVEA_CHECK(!cells.empty() && cells[0] == "epoch",
                  "{}: the first line must be the header starting with 'epoch', got '{}'",
                  path.string(), line);
      parsed.columns = cells;
      continue;
    }
    FOVEA_CHECK(cells.size() == parsed.columns.size(), "{}:{}: {} cells for {} columns",
                path.string(), line_number, cells.size(), parsed.columns.size());
    EpochRecord record;
    const double epoch = parse_cell(cells[0], path, line_number, "epoch");
    FOVEA_CHECK(std::isfinite(epoch) && epoch == std::floor(epoch),
                "{}:{}: epoch '{}' is not a whole number", path.string(), line_number, cells[0]);
    record.epoch = static_cast<int64_t>(epoch);
    for (size_t i = 1; i < cells.size(); ++i) {
      const double value = parse_cell(cells[i], path, line_number, parsed.columns[i]);
      if (double* field = standard_field(record, parsed.columns[i])) {
        *field = value;
      } else {
        record.extra.emplace_back(parsed.columns[i], value);
      }
    }
    parsed.records.push_back(std::move(record));
  }
  FOVEA_CHECK(!parsed.columns.empty(), "{}: empty history (no header line)", path.string());
  return parsed;
}

}  // namespace

const std::vector<std::string>& history_standard_columns() {
  static const std::vector<std::string> columns = {"epoch",    "train_loss",   "train_acc",
                                                   "val_loss", "val_acc",      "val_macro_f1",
                                                   "lr",       "epoch_seconds"};
  return columns;
}

double EpochRecord::value(std::string_view column) const {
  if (column == "epoch") return static_cast<double>(epoch);
  if (const double* field = standard_field(*this, column)) return *field;
  for (const auto& [name, value] : extra) {
    if (name == column) return value;
  }
  return kNotMeasured;
}

std::vector<EpochRecord> read_history_csv(const std::filesystem::path& path) {
  return parse_history(path).records;
}

HistoryWriter::HistoryWriter(std::filesystem::path path, std::vector<std::string> extra_columns)
    : HistoryWriter(std::move(path), std::move(extra_columns), {}) {}

HistoryWriter::HistoryWriter(std::filesystem::path path, std::vector<std::string> extra_columns,
                             std::vector<EpochRecord> kept)
    : path_(std::move(path)),
      extra_columns_(std::move(extra_columns)),
      columns_(all_columns(extra_columns_)),
      records_(std::move(kept)) {
  // The header and the kept rows are written atomically; rows are appended from then on.
  std::string text = join(columns_) + "\n";
  for (size_t i = 0; i < records_.size(); ++i) {
    check_row(records_[i], i > 0 ? &records_[i - 1] : nullptr);
    text += row_text(records_[i]);
  }
  write_file_atomically(path_, text);
  open_for_append();
}

void HistoryWriter::check_row(const EpochRecord& record, const EpochRecord* previous) const {
  FOVEA_CHECK(previous == nullptr || record.epoch > previous->epoch,
              "history '{}': epoch {} comes after epoch {}; epochs must increase", path_.string(),
              record.epoch, previous ? previous->epoch : 0);
  for (const auto& [name, value] : record.extra) {
    FOVEA_CHECK(
        std::find(extra_columns_.begin(), extra_columns_.end(), name) != extra_columns_.end(),
        "history '{}': '{}' is not one of its columns [{}]", path_.string(), name, join(columns_));
  }
}

std::string HistoryWriter::row_text(const EpochRecord& record) const {
  std::vector<std::string> cells = {std::to_string(record.epoch)};
  for (size_t i = 1; i < columns_.size(); ++i) {
    cells.push_back(format_cell(record.value(columns_[i])));
  }
  return join(cells) + "\n";
}

HistoryWriter HistoryWriter::resume(std::filesystem::path path, int64_t keep_through_epoch,
                                    std::vector<std::string> extra_columns) {
  if (!std::filesystem::exists(path)) {
    return HistoryWriter(std::move(path), std::move(extra_columns), {});
  }
  ParsedHistory parsed = parse_history(path);
  const std::vector<std::string> expected = all_columns(extra_columns);
  FOVEA_CHECK(parsed.columns == expected,
              "cannot resume '{}': it has the columns [{}] but this run writes [{}]", path.string(),
              join(parsed.columns), join(expected));
  std::erase_if(parsed.records,
                [&](const EpochRecord& record) { return record.epoch > keep_through_epoch; });
  return HistoryWriter(std::move(path), std::move(extra_columns), std::move(parsed.records));
}

void HistoryWriter::open_for_append() {
  out_.open(path_, std::ios::binary | std::ios::app);
  FOVEA_CHECK(out_, "cannot open '{}' for appending", path_.string());
}

void HistoryWriter::append(const EpochRecord& record) {
  check_row(record, records_.empty() ? nullptr : &records_.back());
  // One write per row, flushed at once: a kill loses at most the row being written.
  out_ << row_text(record) << std::flush;
  FOVEA_CHECK(out_, "writing '{}' failed (disk full?)", path_.string());
  records_.push_back(record);
}

}  // namespace fovea::train
