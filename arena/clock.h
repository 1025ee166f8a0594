// arena/clock.h — one way to read a clock in nanoseconds, for the runtime (signal
// handlers included: clock_gettime() is async-signal-safe), the inspector and the CLI.
#pragma once

#include <time.h>

#include <cstdint>

namespace gleak {

// clock_ns() is clock `id` (CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME...)
// in nanoseconds.
inline int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// monotonic_ns() is CLOCK_MONOTONIC: for intervals and deadlines.
inline int64_t monotonic_ns() { return clock_ns(CLOCK_MONOTONIC); }

}  // namespace gleak
