// gleak/sync.h — WaitGroup, Mutex, RWMutex, Once and Cond with Go's semantics.
//
// Each type blocks a goroutine by parking it (the worker runs other goroutines) and a
// plain thread by blocking the thread. None of them is copyable or movable: share them
// by reference or pointer, as Go shares them by pointer. Mutex and RWMutex meet the
// std Lockable (and SharedLockable) requirements, so std::lock_guard,
// std::unique_lock and std::shared_lock work with them.
//
// Differences from Go: Mutex hands the lock directly to the longest waiter on unlock
// (Go's starvation mode, always), so it is fair but never barges. Unlocking a mutex
// that is not locked panics ("sync: unlock of unlocked mutex"), as in Go.
#pragma once

#include <atomic>
#include <cstdint>

#include "gleak/detail/wait.h"

namespace gleak {

// WaitGroup waits for a collection of goroutines to finish (Go's sync.WaitGroup).
class WaitGroup {
 public:
  [[gnu::noinline]] WaitGroup();
  WaitGroup(const WaitGroup&) = delete;
  WaitGroup& operator=(const WaitGroup&) = delete;

  // add() adds delta to the counter; when it reaches zero every wait() returns. A
  // counter that goes negative panics ("sync: negative WaitGroup counter").
  void add(int64_t delta = 1);
  // done() is add(-1).
  void done() { add(-1); }
  // wait() blocks until the counter is zero.
  void wait();
  // count() is the current counter, for diagnostics.
  int64_t count() const { return static_cast<int32_t>(state_.load(std::memory_order_acquire) >> 32); }

 private:
  // Counter (high 32 bits, signed) and number of parked waiters (low 32 bits) in one
  // word, as in Go: add() learns from its own update whether anyone waits, and so never
  // touches a WaitGroup that a waiter may already have destroyed.
  std::atomic<uint64_t> state_{0};
  detail::WaitQueue waiters_;
  detail::ProbeRef probe_;
};

// Mutex is a mutual exclusion lock (Go's sync.Mutex). It is not tied to a goroutine:
// one goroutine may lock it and another unlock it, as in Go.
class Mutex {
 public:
  [[gnu::noinline]] Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // lock() blocks until the mutex is free, then takes it.
  void lock();
  // try_lock() takes the mutex if it is free and says whether it did.
  bool try_lock();
  // unlock() releases the mutex, handing it to the longest waiter if there is one.
  void unlock();
  // owner() is the goroutine id that holds the mutex (0: free, or held by a thread).
  uint64_t owner() const { return owner_.load(std::memory_order_relaxed); }

 private:
  friend class Cond;
  void set_owner(uint64_t g);
  std::atomic<uint32_t> state_{0};  // 0 free, 1 locked
  std::atomic<uint64_t> owner_{0};
  detail::WaitQueue waiters_;
  detail::ProbeRef probe_;
};

// RWMutex is a reader/writer lock (Go's sync.RWMutex): any number of readers or one
// writer. A writer waiting in lock() keeps new readers out, so writers do not starve;
// when a writer unlocks, the readers waiting at that moment go first.
class RWMutex {
 public:
  [[gnu::noinline]] RWMutex();
  RWMutex(const RWMutex&) = delete;
  RWMutex& operator=(const RWMutex&) = delete;

  // lock() takes the lock for writing.
  void lock();
  bool try_lock();
  void unlock();
  // lock_shared() takes the lock for reading (Go's RLock).
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  std::atomic<uint32_t> lock_{0};
  int32_t readers_ = 0;          // active readers
  bool writer_ = false;          // a writer holds the lock
  int32_t writers_waiting_ = 0;  // writers parked in lock()
  detail::WaitQueue readers_q_;
  detail::WaitQueue writers_q_;
  detail::ProbeRef probe_;
};

// Once runs a function exactly once (Go's sync.Once).
class Once {
 public:
  Once() = default;
  Once(const Once&) = delete;
  Once& operator=(const Once&) = delete;

  // call() runs f if no call() has run one yet; other callers wait until it has
  // returned. As in Go, a panic out of f still counts as done.
  template <class F>
  void call(F&& f) {
    if (done_.load(std::memory_order_acquire)) return;
    struct Guard {
      Once* o;
      ~Guard() {
        o->done_.store(1, std::memory_order_release);
        o->m_.unlock();
      }
    };
    m_.lock();
    if (done_.load(std::memory_order_relaxed)) {
      m_.unlock();
      return;
    }
    Guard g{this};
    f();
  }

 private:
  std::atomic<uint32_t> done_{0};
  Mutex m_;
};

// Cond is a condition variable bound to a Mutex (Go's sync.Cond), constructed as
// `Cond cond(mu)`.
class Cond {
 public:
  [[gnu::noinline]] explicit Cond(Mutex& m);
  Cond(const Cond&) = delete;
  Cond& operator=(const Cond&) = delete;

  // wait() atomically unlocks the mutex and parks; it relocks before returning. As in
  // Go, wake-ups may be spurious to the caller's condition: wait in a loop.
  void wait();
  // signal() wakes one waiter, broadcast() all of them.
  void signal();
  void broadcast();

 private:
  Mutex* m_;
  detail::WaitQueue waiters_;
  detail::ProbeRef probe_;
};

}  // namespace gleak
