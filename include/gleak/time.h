// gleak/time.h — sleep, after and Ticker. Timers live in the scheduler (one heap for
// the process, polled by the workers), not in a thread each.
#pragma once

#include <chrono>
#include <memory>

#include "gleak/chan.h"

namespace gleak {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::nanoseconds;

namespace detail {
struct TickerState;
}

// sleep() parks the goroutine for at least d (Go's time.Sleep); on a plain thread it
// sleeps the thread. d <= 0 returns at once.
void sleep(Duration d);

// after() returns a channel that receives the current time once d has passed (Go's
// time.After). The channel has capacity 1, so the timer never blocks.
Chan<TimePoint> after(Duration d);

// Ticker delivers the time on c() every period (Go's time.Ticker). Ticks the receiver
// is too slow for are dropped, as in Go. Destroying the Ticker stops it.
class Ticker {
 public:
  // Ticker(period) starts ticking; period must be > 0 (else it panics, as in Go).
  explicit Ticker(Duration period);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  // c() is the channel the ticks arrive on.
  const Chan<TimePoint>& c() const;
  // stop() stops the ticks; c() is not closed, as in Go.
  void stop();
  // reset() stops the ticker and restarts it with a new period.
  void reset(Duration period);

 private:
  std::shared_ptr<detail::TickerState> s_;
};

}  // namespace gleak
