// Tests of sleep(), after() and Ticker. Durations are only ever checked from below:
// the runtime promises "at least", and a loaded machine may always take longer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gleak::Chan;
using gleak::Clock;
using gleak::TimePoint;

class TimeTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, TimeTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

class TimeOneWorkerTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(OneWorker, TimeOneWorkerTest, ::testing::Values(1), gleak_test::WorkersName);

// drain() empties a channel without blocking and says how many values it held.
int drain(const Chan<TimePoint>& c) {
  int n = 0;
  while (gleak::select(gleak::recv_case(c, [](std::optional<TimePoint>) {}), gleak::default_case([] {})) == 0) ++n;
  return n;
}

TEST_P(TimeTest, SleepParksForAtLeastTheDuration) {
  run([] {
    for (gleak::Duration d : {gleak::Duration(1ms), gleak::Duration(5ms), gleak::Duration(20ms)}) {
      auto start = Clock::now();
      gleak::sleep(d);
      EXPECT_GE(Clock::now() - start, d);
    }
  });
}

TEST_P(TimeTest, ManyGoroutinesSleepingAtOnceEachSleepAtLeastTheirDuration) {
  run([] {
    constexpr int kN = 50;
    std::atomic<int> too_early{0};
    gleak::WaitGroup wg;
    wg.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&, i] {
        auto d = gleak::Duration(std::chrono::microseconds(200 * (i % 10 + 1)));
        auto start = Clock::now();
        gleak::sleep(d);
        if (Clock::now() - start < d) too_early.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(too_early.load(), 0);
  });
}

TEST_P(TimeTest, SleepOfZeroOrLessReturns) {
  run([] {
    gleak::sleep(gleak::Duration(0));
    gleak::sleep(-5ms);
  });
}

TEST_P(TimeOneWorkerTest, SleepLetsOtherGoroutinesRunOnTheWorker) {
  run([] {
    bool other_ran = false;  // one worker: no data race
    gleak::go([&] { other_ran = true; });
    gleak::sleep(1ms);
    EXPECT_TRUE(other_ran);
  });
}

TEST(Sleep, OnAPlainThreadSleepsAtLeastTheDuration) {
  auto start = Clock::now();
  gleak::sleep(3ms);
  EXPECT_GE(Clock::now() - start, 3ms);
}

TEST_P(TimeTest, AfterDeliversTheTimeOnceTheDurationHasPassed) {
  run([] {
    auto start = Clock::now();
    auto c = gleak::after(5ms);
    EXPECT_EQ(c.cap(), 1u);
    auto t = c.recv();
    ASSERT_TRUE(t.has_value());
    EXPECT_GE(*t - start, 5ms);
    EXPECT_GE(Clock::now() - start, 5ms);
    // Once: by the time a later timer has fired, nothing more has arrived.
    gleak::after(20ms).recv();
    EXPECT_EQ(c.len(), 0u);
  });
}

TEST_P(TimeOneWorkerTest, AfterNeverBlocksTheWorkerWhenNobodyReceives) {
  run([] {
    for (int i = 0; i < 100; ++i) gleak::after(1ms);  // dropped unreceived
    // Their timers fire on this (only) worker: had one blocked, this sleep would never
    // end.
    gleak::sleep(5ms);
  });
}

TEST(After, WorksFromAPlainThread) {
  auto start = Clock::now();
  auto t = gleak::after(2ms).recv();
  ASSERT_TRUE(t.has_value());
  EXPECT_GE(*t - start, 2ms);
}

TEST_P(TimeTest, TickerTicksRepeatedly) {
  run([] {
    const auto period = 2ms;
    auto start = Clock::now();
    gleak::Ticker ticker(period);
    EXPECT_EQ(ticker.c().cap(), 1u);
    std::vector<TimePoint> ticks;
    for (int i = 0; i < 5; ++i) ticks.push_back(*ticker.c().recv());
    for (size_t i = 1; i < ticks.size(); ++i) EXPECT_GT(ticks[i], ticks[i - 1]);
    // The k-th tick received comes from the k-th firing or a later one, and the k-th
    // firing is due k periods after the start.
    EXPECT_GE(ticks.back() - start, 5 * period);
    EXPECT_GE(ticks.front() - start, period);
  });
}

TEST_P(TimeTest, TickerStopStopsTheTicks) {
  run([] {
    gleak::Ticker ticker(1ms);
    ticker.c().recv();
    ticker.stop();
    drain(ticker.c());  // a tick that was already sent may be there
    gleak::sleep(20ms);  // twenty periods: a running ticker would have ticked
    EXPECT_EQ(ticker.c().len(), 0u);
  });
}

TEST_P(TimeTest, DestroyingATickerStopsIt) {
  run([] {
    Chan<TimePoint> c;
    {
      gleak::Ticker ticker(1ms);
      c = ticker.c();
      c.recv();
    }
    drain(c);
    gleak::sleep(20ms);
    EXPECT_EQ(c.len(), 0u);
  });
}

TEST_P(TimeOneWorkerTest, TickerDropsTicksTheReceiverIsTooSlowFor) {
  run([] {
    gleak::Ticker ticker(1ms);
    // Twenty periods without receiving: the ticks that find the channel full are
    // dropped; they must not block the worker that fires them (the only one here).
    gleak::sleep(20ms);
    EXPECT_EQ(ticker.c().len(), 1u);
    ticker.c().recv();
    ticker.c().recv();  // and it goes on ticking
  });
}

TEST_P(TimeTest, TickerResetChangesThePeriod) {
  run([] {
    gleak::Ticker ticker(std::chrono::hours(1));
    auto reset_at = Clock::now();
    ticker.reset(3ms);
    auto t = ticker.c().recv();  // an hour away unless the reset took effect
    ASSERT_TRUE(t.has_value());
    EXPECT_GE(*t - reset_at, 3ms);
  });
}

TEST_P(TimeTest, TickerResetRestartsAStoppedTicker) {
  run([] {
    gleak::Ticker ticker(1ms);
    ticker.stop();
    drain(ticker.c());
    auto reset_at = Clock::now();
    ticker.reset(2ms);
    auto t = ticker.c().recv();
    ASSERT_TRUE(t.has_value());
    EXPECT_GE(*t - reset_at, 2ms);
  });
}

TEST_P(TimeTest, TickerWithNonPositivePeriodPanics) {
  run([] {
    for (gleak::Duration d : {gleak::Duration(0), gleak::Duration(-1ms)}) {
      auto p = gleak::recover([&] { gleak::Ticker t(d); });
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->message, "non-positive interval for NewTicker");
    }
  });
}

TEST_P(TimeTest, TickerResetWithNonPositivePeriodPanics) {
  run([] {
    gleak::Ticker ticker(std::chrono::hours(1));
    auto p = gleak::recover([&] { ticker.reset(gleak::Duration(0)); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "non-positive interval for Ticker.Reset");
  });
}

TEST(Ticker, WorksFromAPlainThread) {
  auto start = Clock::now();
  gleak::Ticker ticker(1ms);
  ticker.c().recv();
  auto t = ticker.c().recv();
  ASSERT_TRUE(t.has_value());
  EXPECT_GE(*t - start, 2ms);
}

}  // namespace
