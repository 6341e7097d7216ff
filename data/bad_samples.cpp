#include "data/bad_samples.h"

#include <iostream>

namespace fovea::data {

void BadSampleLog::record(int64_t index, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!bad_.emplace(index, reason).second || quiet_) return;
  std::cerr << "fovea: warning: skipping " << reason << "\n";
}

bool BadSampleLog::contains(int64_t index) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_.count(index) > 0;
}

int64_t BadSampleLog::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(bad_.size());
}

std::vector<std::string> BadSampleLog::reasons() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [index, reason] : bad_) out.push_back(reason);
  return out;
}

}  // namespace fovea::data
