// Tests of Chan<T>: nil, unbuffered and buffered channels, close, len/cap, range-for,
// move-only elements, the channel panics, and many producers and consumers.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class ChanTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, ChanTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// Tests that show a goroutine is blocked run it right before the main goroutine
// resumes: with one worker and no preemption, main runs again only once that goroutine
// has parked, so "it has not got past the blocking call" is then certain. With more
// workers the same checks hold but prove less.

TEST_P(ChanTest, DefaultConstructedChanIsNil) {
  run([] {
    Chan<int> nil;
    EXPECT_TRUE(nil.is_nil());
    EXPECT_EQ(nil.len(), 0u);
    EXPECT_EQ(nil.cap(), 0u);
    EXPECT_TRUE(nil == Chan<int>());
    EXPECT_FALSE(Chan<int>(0).is_nil());
  });
}

// Go's makechan: a buffer whose byte size overflows panics, and makes nothing.
TEST_P(ChanTest, ACapacityTooLargeForMemoryPanics) {
  run([] {
    for (std::size_t cap : {~std::size_t{0}, ~std::size_t{0} / 8 + 1, std::size_t{1} << 60}) {
      auto p = gleak::recover([&] { Chan<uint64_t> c(cap); });
      ASSERT_TRUE(p.has_value()) << cap;
      EXPECT_EQ(p->message, "makechan: size out of range");
    }
    Chan<uint64_t> fine(1 << 20);
    EXPECT_EQ(fine.cap(), std::size_t{1} << 20);
  });
}

TEST_P(ChanTest, ReceiveOnNilChannelBlocksForever) {
  abandon(1);
  run([] {
    auto proceeded = std::make_shared<std::atomic<bool>>(false);
    Chan<Unit> started(1);
    gleak::go([proceeded, started] {
      started.send(Unit{});
      gleak_test::abandoned([] { Chan<int>().recv(); });
      proceeded->store(true);
    });
    started.recv();
    gleak::yield();
    EXPECT_FALSE(proceeded->load());
  });
}

TEST_P(ChanTest, SendOnNilChannelBlocksForever) {
  abandon(1);
  run([] {
    auto proceeded = std::make_shared<std::atomic<bool>>(false);
    Chan<Unit> started(1);
    gleak::go([proceeded, started] {
      started.send(Unit{});
      gleak_test::abandoned([] { Chan<int>().send(1); });
      proceeded->store(true);
    });
    started.recv();
    gleak::yield();
    EXPECT_FALSE(proceeded->load());
  });
}

TEST_P(ChanTest, UnbufferedSendBlocksUntilAReceiverTakesTheValue) {
  run([] {
    Chan<int> ch(0);
    Chan<Unit> started(1);
    auto sent = std::make_shared<std::atomic<bool>>(false);
    gleak::WaitGroup done;
    done.add(1);
    gleak::go([&, sent] {
      started.send(Unit{});
      ch.send(7);
      sent->store(true);
      done.done();
    });
    started.recv();
    EXPECT_FALSE(sent->load());
    EXPECT_EQ(ch.recv(), 7);
    done.wait();
    EXPECT_TRUE(sent->load());
  });
}

TEST_P(ChanTest, UnbufferedReceiveBlocksUntilASenderArrives) {
  run([] {
    Chan<int> ch(0);
    Chan<Unit> started(1);
    Chan<int> got(1);
    gleak::go([ch, started, got] {
      started.send(Unit{});
      got.send(*ch.recv());
    });
    started.recv();
    EXPECT_EQ(got.len(), 0u);
    ch.send(3);
    EXPECT_EQ(got.recv(), 3);
  });
}

TEST_P(ChanTest, BufferedSendsDoNotBlockUntilTheBufferIsFull) {
  run([] {
    Chan<int> ch(3);
    ch.send(1);  // no receiver anywhere: these would block forever if unbuffered
    ch.send(2);
    ch.send(3);
    EXPECT_EQ(ch.len(), 3u);
    Chan<Unit> started(1);
    auto fourth_sent = std::make_shared<std::atomic<bool>>(false);
    gleak::WaitGroup done;
    done.add(1);
    gleak::go([&, fourth_sent] {
      started.send(Unit{});
      ch.send(4);
      fourth_sent->store(true);
      done.done();
    });
    started.recv();
    EXPECT_FALSE(fourth_sent->load());
    EXPECT_EQ(ch.recv(), 1);
    done.wait();
    EXPECT_TRUE(fourth_sent->load());
    EXPECT_EQ(ch.recv(), 2);
    EXPECT_EQ(ch.recv(), 3);
    EXPECT_EQ(ch.recv(), 4);
  });
}

void expect_fifo(std::size_t capacity) {
  constexpr int kN = 2000;
  Chan<int> ch(capacity);
  gleak::go([ch] {
    for (int i = 0; i < kN; ++i) ch.send(i);
    ch.close();
  });
  int want = 0;
  for (int v : ch) {
    ASSERT_EQ(v, want);
    ++want;
  }
  EXPECT_EQ(want, kN);
}

TEST_P(ChanTest, UnbufferedChannelDeliversInSendOrder) {
  run([] { expect_fifo(0); });
}

TEST_P(ChanTest, BufferedChannelDeliversInSendOrder) {
  run([] {
    expect_fifo(1);
    expect_fifo(7);
    expect_fifo(64);
  });
}

TEST_P(ChanTest, BufferedValuesSentWhileTheBufferIsFullKeepTheirOrder) {
  // Receiving from a full buffer takes its head and moves a parked sender's value to
  // its tail.
  run([] {
    Chan<int> ch(2);
    ch.send(0);
    ch.send(1);
    gleak::WaitGroup done;
    done.add(1);
    gleak::go([&] {
      for (int i = 2; i < 100; ++i) ch.send(i);
      done.done();
    });
    for (int i = 0; i < 100; ++i) EXPECT_EQ(ch.recv(), i);
    done.wait();
  });
}

TEST_P(ChanTest, ReceiveFromClosedChannelReturnsNulloptAfterDrain) {
  run([] {
    Chan<int> ch(3);
    ch.send(1);
    ch.send(2);
    ch.close();
    EXPECT_EQ(ch.recv(), 1);
    EXPECT_EQ(ch.recv(), 2);
    EXPECT_EQ(ch.recv(), std::nullopt);
    EXPECT_EQ(ch.recv(), std::nullopt);
  });
}

TEST_P(ChanTest, CloseWakesEveryBlockedReceiverWithNullopt) {
  run([] {
    constexpr int kN = 10;
    Chan<int> ch(0);
    Chan<bool> got_value(kN);
    gleak::WaitGroup started;
    started.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&started, ch, got_value] {
        started.done();
        got_value.send(ch.recv().has_value());
      });
    }
    started.wait();
    ch.close();
    for (int i = 0; i < kN; ++i) EXPECT_EQ(got_value.recv(), false);
  });
}

TEST_P(ChanTest, LenCountsBufferedElementsAndCapIsTheBufferSize) {
  run([] {
    Chan<int> ch(4);
    EXPECT_EQ(ch.cap(), 4u);
    EXPECT_EQ(ch.len(), 0u);
    ch.send(1);
    ch.send(2);
    EXPECT_EQ(ch.len(), 2u);
    ch.recv();
    EXPECT_EQ(ch.len(), 1u);
    EXPECT_EQ(ch.cap(), 4u);
    Chan<int> unbuffered(0);
    EXPECT_EQ(unbuffered.cap(), 0u);
    EXPECT_EQ(unbuffered.len(), 0u);
    EXPECT_EQ(gleak::make_chan<int>(5).cap(), 5u);
    EXPECT_EQ(gleak::make_chan<int>().cap(), 0u);
  });
}

TEST_P(ChanTest, RangeForReceivesUntilClosedAndDrained) {
  run([] {
    Chan<int> ch(8);
    gleak::go([ch] {
      for (int i = 1; i <= 100; ++i) ch.send(i);
      ch.close();
    });
    int count = 0, sum = 0;
    for (int v : ch) {
      ++count;
      sum += v;
    }
    EXPECT_EQ(count, 100);
    EXPECT_EQ(sum, 5050);
  });
}

TEST_P(ChanTest, CopiesOfAChanReferToTheSameChannel) {
  run([] {
    Chan<int> a(1);
    Chan<int> b = a;
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == Chan<int>(1));
    b.send(5);
    EXPECT_EQ(a.len(), 1u);
    EXPECT_EQ(a.recv(), 5);
  });
}

TEST_P(ChanTest, MoveOnlyElementsPassThroughBufferedAndUnbufferedChannels) {
  run([] {
    for (std::size_t capacity : {0u, 1u, 4u}) {
      Chan<std::unique_ptr<int>> ch(capacity);
      gleak::go([ch] {
        for (int i = 0; i < 20; ++i) ch.send(std::make_unique<int>(i));
        ch.close();
      });
      int want = 0;
      for (std::unique_ptr<int>& p : ch) {
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(*p, want++);
      }
      EXPECT_EQ(want, 20);
    }
  });
}

// Tracked counts its live instances, to check that channels destroy what they hold.
struct Tracked {
  static inline std::atomic<int> live{0};
  int v;
  explicit Tracked(int x) : v(x) { live.fetch_add(1); }
  Tracked(Tracked&& o) noexcept : v(o.v) { live.fetch_add(1); }
  Tracked(const Tracked&) = delete;
  ~Tracked() { live.fetch_sub(1); }
};

TEST_P(ChanTest, ElementsLeftInTheBufferAreDestroyedWithTheChannel) {
  run([] {
    const int before = Tracked::live.load();
    {
      Chan<Tracked> ch(4);
      ch.send(Tracked(1));
      ch.send(Tracked(2));
      ch.send(Tracked(3));
      EXPECT_EQ(ch.recv()->v, 1);
      EXPECT_EQ(Tracked::live.load(), before + 2);
    }
    EXPECT_EQ(Tracked::live.load(), before);
  });
}

TEST_P(ChanTest, SendOnClosedChannelPanics) {
  run([] {
    Chan<int> ch(1);
    ch.close();
    auto p = gleak::recover([&] { ch.send(1); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "send on closed channel");
    EXPECT_EQ(p->goroutine, gleak::goroutine_id());
    EXPECT_EQ(ch.len(), 0u);
  });
}

TEST_P(ChanTest, CloseOfClosedChannelPanics) {
  run([] {
    Chan<int> ch(0);
    ch.close();
    auto p = gleak::recover([&] { ch.close(); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "close of closed channel");
  });
}

TEST_P(ChanTest, CloseOfNilChannelPanics) {
  run([] {
    Chan<int> nil;
    auto p = gleak::recover([&] { nil.close(); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "close of nil channel");
  });
}

TEST_P(ChanTest, ASenderBlockedWhenTheChannelIsClosedPanics) {
  run([] {
    for (std::size_t capacity : {0u, 2u}) {
      Chan<int> ch(capacity);
      for (std::size_t i = 0; i < capacity; ++i) ch.send(0);  // full: the next send blocks
      Chan<Unit> started(1);
      Chan<std::string> outcome(1);
      gleak::go([ch, started, outcome] {
        started.send(Unit{});
        auto p = gleak::recover([&] { ch.send(1); });
        outcome.send(p ? p->message : "no panic");
      });
      started.recv();
      ch.close();
      EXPECT_EQ(outcome.recv(), "send on closed channel") << "capacity " << capacity;
      // The values buffered before the close are still delivered, the failed send's not.
      for (std::size_t i = 0; i < capacity; ++i) EXPECT_EQ(ch.recv(), 0);
      EXPECT_EQ(ch.recv(), std::nullopt);
    }
  });
}

TEST_P(ChanTest, ManyProducersAndConsumersDeliverEveryValueExactlyOnce) {
  run([] {
    constexpr int kProducers = 8, kConsumers = 8, kEach = 5000;
    constexpr int kTotal = kProducers * kEach;
    for (std::size_t capacity : {0u, 16u}) {
      Chan<int> ch(capacity);
      std::vector<std::atomic<int>> seen(kTotal);
      gleak::WaitGroup producers, consumers;
      producers.add(kProducers);
      consumers.add(kConsumers);
      std::atomic<int64_t> sum{0};
      for (int p = 0; p < kProducers; ++p) {
        gleak::go(
            [&, ch](int base) {
              for (int i = 0; i < kEach; ++i) ch.send(base + i);
              producers.done();
            },
            p * kEach);
      }
      for (int c = 0; c < kConsumers; ++c) {
        gleak::go([&, ch] {
          int64_t local = 0;
          for (int v : ch) {
            local += v;
            seen[v].fetch_add(1, std::memory_order_relaxed);
          }
          sum.fetch_add(local);
          consumers.done();
        });
      }
      producers.wait();
      ch.close();
      consumers.wait();
      EXPECT_EQ(sum.load(), int64_t{kTotal} * (kTotal - 1) / 2) << "capacity " << capacity;
      int wrong = 0;
      for (auto& s : seen) wrong += s.load() != 1;
      EXPECT_EQ(wrong, 0) << "capacity " << capacity;
    }
  });
}

TEST_P(ChanTest, APingPongBetweenTwoGoroutinesCompletes) {
  run([] {
    Chan<int> ping(0), pong(0);
    gleak::go([ping, pong] {
      for (int v : ping) pong.send(v + 1);
      pong.close();
    });
    for (int i = 0; i < 10000; ++i) {
      ping.send(i);
      ASSERT_EQ(pong.recv(), i + 1);
    }
    ping.close();
    EXPECT_EQ(pong.recv(), std::nullopt);
  });
}

}  // namespace
