// core/internal/futex.h — thin wrappers over the futex system call.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace gleak::internal {

// futex_wait() sleeps while *word == expected, at most timeout_ns (< 0: no limit).
inline void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ns = -1) {
  struct timespec ts;
  struct timespec* tp = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    tp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, tp, nullptr, 0);
}

// futex_wake() wakes up to n threads sleeping on word.
inline void futex_wake(std::atomic<uint32_t>* word, int n = 1) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, n, nullptr, nullptr, 0);
}

}  // namespace gleak::internal
