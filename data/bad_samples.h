#pragma once
// BadSampleLog: the samples that could not be read, each reported once. The loader asks
// it before loading, so a bad file costs one failed decode per run, not one per epoch.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace fovea::data {

class BadSampleLog {
 public:
  explicit BadSampleLog(bool quiet = false) : quiet_(quiet) {}

  // Records that sample `index` failed with `reason` (which names the file); the first
  // time, prints "fovea: warning: skipping <reason>" to stderr. Thread-safe.
  void record(int64_t index, const std::string& reason);
  bool contains(int64_t index) const;
  int64_t count() const;                     // distinct bad samples
  std::vector<std::string> reasons() const;  // in order of sample index

 private:
  bool quiet_;
  mutable std::mutex mutex_;
  std::map<int64_t, std::string> bad_;
};

}  // namespace fovea::data
