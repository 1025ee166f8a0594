// core/time.cc — sleep, after and Ticker on the scheduler's timer heap.
#include "gleak/time.h"

#include <thread>

#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "core/internal/timers.h"
#include "gleak/runtime.h"

namespace gleak {

using namespace internal;

namespace {

TimePoint to_time_point(int64_t ns) { return TimePoint(std::chrono::nanoseconds(ns)); }

struct SleepTimer {
  Timer t;
  G* g = nullptr;
  std::atomic<uint32_t> lock{0};
};

void fire_sleep(Timer* t, int64_t) {
  auto* s = static_cast<SleepTimer*>(t->arg);
  G* g = s->g;
  // The sleeper holds the lock until it is parked.
  spin_lock(s->lock);
  spin_unlock(s->lock);
  ready(g);  // s is gone once g runs
}

void unlock_word(void* w) { spin_unlock(*static_cast<std::atomic<uint32_t>*>(w)); }

struct AfterTimer {
  Timer t;
  Chan<TimePoint> ch{1};
};

void fire_after(Timer* t, int64_t now) {
  auto* a = static_cast<AfterTimer*>(t->arg);
  a->ch.send(to_time_point(now));  // capacity 1, sent once: never blocks
  delete a;
}

}  // namespace

void sleep(Duration d) {
  if (d.count() <= 0) return;
  if (current_g() == nullptr) {
    std::this_thread::sleep_for(d);
    return;
  }
  SleepTimer s;
  s.g = current_g();
  s.t.when = now_ns() + d.count();
  s.t.fire = fire_sleep;
  s.t.arg = &s;
  spin_lock(s.lock);
  timer_add(&s.t);
  park(WaitReason::kSleep, nullptr, unlock_word, &s.lock);
}

Chan<TimePoint> after(Duration d) {
  auto* a = new AfterTimer();
  Chan<TimePoint> ch = a->ch;
  a->t.when = now_ns() + std::max<int64_t>(0, d.count());
  a->t.fire = fire_after;
  a->t.arg = a;
  timer_add(&a->t);
  return ch;
}

namespace detail {
struct TickerState {
  Timer t;
  Chan<TimePoint> ch{1};
};
}  // namespace detail

namespace {
void fire_tick(Timer* t, int64_t now) {
  auto* s = static_cast<detail::TickerState*>(t->arg);
  // Drop the tick if the last one was not taken yet, as Go's Ticker does.
  gleak::select(send_case(s->ch, to_time_point(now), [] {}), default_case([] {}));
}
}  // namespace

Ticker::Ticker(Duration period) : s_(std::make_shared<detail::TickerState>()) {
  if (period.count() <= 0) panic("non-positive interval for NewTicker");
  s_->t.fire = fire_tick;
  s_->t.arg = s_.get();
  s_->t.period = period.count();
  s_->t.when = now_ns() + period.count();
  timer_add(&s_->t);
}

Ticker::~Ticker() { stop(); }

const Chan<TimePoint>& Ticker::c() const { return s_->ch; }

void Ticker::stop() { timer_stop(&s_->t); }

void Ticker::reset(Duration period) {
  if (period.count() <= 0) panic("non-positive interval for Ticker.Reset");
  timer_stop(&s_->t);
  s_->t.period = period.count();
  s_->t.when = now_ns() + period.count();
  timer_add(&s_->t);
}

}  // namespace gleak
