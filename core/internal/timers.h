// core/internal/timers.h — the scheduler's timer heap.
//
// One min-heap for the process. Workers poll it when they look for work and now and
// then between goroutines; an idle worker sleeps no longer than the earliest timer.
// Callbacks run outside the heap's lock, on a worker, and must not block.
#pragma once

#include <atomic>
#include <cstdint>

namespace gleak::internal {

struct Timer {
  int64_t when = 0;     // CLOCK_MONOTONIC ns
  int64_t period = 0;   // > 0: fire again every period
  void (*fire)(Timer*, int64_t now) = nullptr;
  void* arg = nullptr;
  int32_t heap_index = -1;  // -1: not in the heap
  bool firing = false;      // a callback of this periodic timer is running
  bool cancelled = false;   // stopped: a periodic timer is not re-armed
};

// timer_add() schedules t (not yet in the heap).
void timer_add(Timer* t);
// timer_stop() takes t out of the heap. Returns true when it was pending: its callback
// will not run. For a periodic timer it also waits for a running callback to finish
// (so it must not be called from that callback); a one-shot timer's callback that has
// started owns the timer from then on.
bool timer_stop(Timer* t);
// poll_timers() fires every due timer. Cheap when none is due.
void poll_timers();
bool timers_due();
// next_timer_ns() is the earliest deadline, or -1.
int64_t next_timer_ns();

}  // namespace gleak::internal
