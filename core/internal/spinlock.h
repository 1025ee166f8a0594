// core/internal/spinlock.h — the short lock of run queues, channels and wait queues.
//
// Critical sections under it are a few dozen instructions and never block, so a
// test-and-test-and-set lock is cheaper than a futex mutex; after a bounded spin it
// yields the thread so that a preempted holder can finish.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

namespace gleak::internal {

inline void cpu_relax() { __builtin_ia32_pause(); }

inline void spin_lock(std::atomic<uint32_t>& l) {
  for (;;) {
    if (l.exchange(1, std::memory_order_acquire) == 0) return;
    int spins = 0;
    while (l.load(std::memory_order_relaxed) != 0) {
      if (++spins < 128) {
        cpu_relax();
      } else {
        sched_yield();
        spins = 0;
      }
    }
  }
}

inline bool spin_try_lock(std::atomic<uint32_t>& l) {
  return l.load(std::memory_order_relaxed) == 0 && l.exchange(1, std::memory_order_acquire) == 0;
}

inline void spin_unlock(std::atomic<uint32_t>& l) { l.store(0, std::memory_order_release); }

// SpinLock is a std-Lockable spin lock.
class SpinLock {
 public:
  void lock() { spin_lock(word_); }
  bool try_lock() { return spin_try_lock(word_); }
  void unlock() { spin_unlock(word_); }
  std::atomic<uint32_t>& word() { return word_; }

 private:
  std::atomic<uint32_t> word_{0};
};

// SpinGuard holds a spin lock word for a scope.
class SpinGuard {
 public:
  explicit SpinGuard(std::atomic<uint32_t>& l) : l_(l) { spin_lock(l_); }
  ~SpinGuard() { spin_unlock(l_); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  std::atomic<uint32_t>& l_;
};

}  // namespace gleak::internal
