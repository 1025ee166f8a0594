// core/internal/check.h — always-on fatal checks.
#pragma once

namespace gleak::internal {
// check_failed() prints what broke, where, and the current stack, then aborts.
[[noreturn]] void check_failed(const char* expr, const char* file, int line, const char* msg);
}  // namespace gleak::internal

// GLEAK_CHECK(cond, msg) is on in every build: a broken invariant of the runtime must
// stop the process with a report, not corrupt it silently.
#define GLEAK_CHECK(cond, msg)                                                      \
  do {                                                                              \
    if (__builtin_expect(!(cond), 0))                                               \
      ::gleak::internal::check_failed(#cond, __FILE__, __LINE__, (msg));            \
  } while (0)
