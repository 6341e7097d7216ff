#include "engine/text.h"

#include <algorithm>

namespace fovea {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

std::vector<std::string> close_matches(const std::string& word,
                                       const std::vector<std::string>& candidates, size_t limit) {
  // Allow about a third of the word to be wrong, and at least two edits.
  const size_t budget = std::max<size_t>(2, word.size() / 3);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const std::string& candidate : candidates) {
    // One containing the other ("resnet5" in "resnet50") costs only the extra letters.
    const bool contains = !word.empty() && (candidate.find(word) != std::string::npos ||
                                            word.find(candidate) != std::string::npos);
    const size_t distance =
        contains ? std::max(word.size(), candidate.size()) - std::min(word.size(), candidate.size())
                 : edit_distance(word, candidate);
    if (distance <= budget) scored.emplace_back(distance, candidate);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < scored.size() && i < limit; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace fovea
