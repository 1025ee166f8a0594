// gleak/detail/wait.h — the wait queue that every blocking gleak object embeds.
// Not part of the public API: names here may change.
#pragma once

#include <atomic>
#include <cstdint>

namespace gleak::detail {

struct Waiter;

// WaitQueue is a FIFO of parked goroutines or threads, guarded by its own spin lock.
struct WaitQueue {
  std::atomic<uint32_t> lock{0};
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
};

}  // namespace gleak::detail
