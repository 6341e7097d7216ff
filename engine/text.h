#pragma once
// Small string helpers for error messages that help: "did you mean ...?".
#include <string>
#include <vector>

namespace fovea {

size_t edit_distance(const std::string& a, const std::string& b);
// Up to `limit` candidates closest to `word` (containing it, or within a few edits),
// closest first.
std::vector<std::string> close_matches(const std::string& word,
                                       const std::vector<std::string>& candidates,
                                       size_t limit = 3);

}  // namespace fovea
