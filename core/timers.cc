// core/timers.cc — see core/internal/timers.h.
#include "core/internal/timers.h"

#include <sched.h>

#include <climits>
#include <mutex>
#include <vector>

#include "core/internal/sched.h"
#include "core/internal/spinlock.h"

namespace gleak::internal {
namespace {

// The heap's slots past n are null: a vector's spare capacity would hold whatever its
// memory held before, and a stale address of a timer on a goroutine's stack makes the
// leak analysis scan a frame that is long gone.
struct Heap {
  SpinLock lock;
  std::vector<Timer*> h;  // size() is the capacity; n are in use
  std::size_t n = 0;
  std::atomic<int64_t> next_when{LLONG_MAX};
};

Heap* heap() {
  static Heap* h = new Heap();  // first use may come from a static initializer
  return h;
}

bool less(const Timer* a, const Timer* b) { return a->when < b->when; }

void place(std::size_t i, Timer* t) {
  heap()->h[i] = t;
  t->heap_index = static_cast<int32_t>(i);
}

void sift_up(std::size_t i) {
  auto& h = heap()->h;
  Timer* t = h[i];
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!less(t, h[parent])) break;
    place(i, h[parent]);
    i = parent;
  }
  place(i, t);
}

void sift_down(std::size_t i) {
  auto& h = heap()->h;
  std::size_t n = heap()->n;
  Timer* t = h[i];
  for (;;) {
    std::size_t l = 2 * i + 1;
    if (l >= n) break;
    std::size_t c = (l + 1 < n && less(h[l + 1], h[l])) ? l + 1 : l;
    if (!less(h[c], t)) break;
    place(i, h[c]);
    i = c;
  }
  place(i, t);
}

void remove_at(std::size_t i) {
  auto& h = heap()->h;
  Timer* t = h[i];
  std::size_t& n = heap()->n;
  Timer* last = h[n - 1];
  h[--n] = nullptr;
  t->heap_index = -1;
  if (i < n) {
    place(i, last);
    sift_down(i);
    sift_up(static_cast<std::size_t>(last->heap_index));
  }
}

void publish_next() {
  heap()->next_when.store(heap()->n == 0 ? LLONG_MAX : heap()->h[0]->when, std::memory_order_release);
}

// push() adds t; returns true when it became the earliest timer.
bool push(Timer* t) {
  Heap* hp = heap();
  if (hp->n == hp->h.size()) hp->h.resize(hp->h.empty() ? 64 : 2 * hp->h.size(), nullptr);
  hp->h[hp->n++] = t;
  sift_up(hp->n - 1);
  publish_next();
  return heap()->h[0] == t;
}

}  // namespace

void timer_add(Timer* t) {
  bool earliest;
  {
    std::lock_guard<SpinLock> lk(heap()->lock);
    t->cancelled = false;
    earliest = push(t);
  }
  ensure_started();
  if (earliest) wake_for_timer();
}

bool timer_stop(Timer* t) {
  bool pending = false;
  for (;;) {
    {
      std::lock_guard<SpinLock> lk(heap()->lock);
      t->cancelled = true;
      if (t->heap_index >= 0) {
        remove_at(static_cast<std::size_t>(t->heap_index));
        publish_next();
        pending = true;
      }
      if (t->period == 0 || !t->firing) return pending;
    }
    // A periodic callback is running on another worker: it is short and never blocks.
    sched_yield();
  }
}

bool timers_due() {
  int64_t nw = heap()->next_when.load(std::memory_order_acquire);
  return nw != LLONG_MAX && now_ns() >= nw;
}

int64_t next_timer_ns() {
  int64_t nw = heap()->next_when.load(std::memory_order_acquire);
  return nw == LLONG_MAX ? -1 : nw;
}

void poll_timers() {
  int64_t nw = heap()->next_when.load(std::memory_order_acquire);
  if (nw == LLONG_MAX) return;
  int64_t now = now_ns();
  if (now < nw) return;
  constexpr int kBatch = 64;
  Timer* due[kBatch];
  int n = 0;
  {
    std::lock_guard<SpinLock> lk(heap()->lock);
    auto& h = heap()->h;
    while (n < kBatch && heap()->n > 0 && h[0]->when <= now) {
      Timer* t = h[0];
      remove_at(0);
      if (t->period > 0) t->firing = true;
      due[n++] = t;
    }
    publish_next();
  }
  for (int i = 0; i < n; ++i) {
    Timer* t = due[i];
    if (t->period == 0) {
      t->fire(t, now);  // t may be gone after this
      continue;
    }
    t->fire(t, now);
    std::lock_guard<SpinLock> lk(heap()->lock);
    t->firing = false;
    if (!t->cancelled) {
      t->when += t->period;
      if (t->when <= now) t->when = now + t->period;  // drop missed ticks, as Go does
      push(t);
    }
  }
}

}  // namespace gleak::internal
