#pragma once
// fovea::Error is the one exception type the engine throws. Every message names the op,
// file or key involved, the shapes or dtypes it saw, and what was expected.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <string>

namespace fovea {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace fovea

// FOVEA_CHECK(cond, "fmt", args...) throws fovea::Error with the formatted message.
#define FOVEA_CHECK(cond, ...)               \
  do {                                       \
    if (!(cond)) ::fovea::fail(__VA_ARGS__); \
  } while (0)
