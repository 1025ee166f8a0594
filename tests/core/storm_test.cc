// Randomized storms of select, close and cancel, for a fixed number of operations with
// 1, 2 and 4 workers: producers send on randomly chosen channels until a context is
// cancelled at a random moment; consumers select over every channel (blocking or
// polling) until all are closed. Every value sent is received exactly once and every
// goroutine ends: a lost wake-up hangs the test (CTest's timeout fails it), a lost or
// doubled value breaks the sums.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <random>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class StormTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, StormTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

constexpr int kChannels = 4;
constexpr int kProducers = 3;
constexpr int kConsumers = 3;

struct Round {
  std::array<Chan<int64_t>, kChannels> chans;
  std::atomic<int64_t> sent_sum{0}, sent_count{0};
  std::atomic<int64_t> received_sum{0}, received_count{0};
};

// consume() receives until every channel is closed, blocking in select or polling.
void consume(Round& r, bool polling) {
  std::array<Chan<int64_t>, kChannels> open = r.chans;
  int left = kChannels;
  auto on = [&](int k) {
    return [&, k](std::optional<int64_t> v) {
      if (!v) {
        open[k] = Chan<int64_t>();  // closed: a nil channel is never ready again
        --left;
        return;
      }
      r.received_sum += *v;
      ++r.received_count;
    };
  };
  while (left > 0) {
    if (polling) {
      gleak::select(gleak::recv_case(open[0], on(0)), gleak::recv_case(open[1], on(1)),
                    gleak::recv_case(open[2], on(2)), gleak::recv_case(open[3], on(3)),
                    gleak::default_case([] { gleak::yield(); }));
    } else {
      gleak::select(gleak::recv_case(open[0], on(0)), gleak::recv_case(open[1], on(1)),
                    gleak::recv_case(open[2], on(2)), gleak::recv_case(open[3], on(3)));
    }
  }
}

TEST_P(StormTest, SelectCloseAndCancelLoseNoValueAndNoWakeUp) {
  run([] {
    std::mt19937_64 rng(20261202);
    constexpr int kRounds = 2000;
    int64_t operations = 0;
    for (int round = 0; round < kRounds; ++round) {
      Round r;
      for (auto& c : r.chans) c = Chan<int64_t>(rng() % 3);  // unbuffered or small buffers
      auto [ctx, cancel] = gleak::with_cancel(gleak::background());
      gleak::WaitGroup producers, consumers;
      int per_producer = 1 + static_cast<int>(rng() % 200);
      for (int p = 0; p < kProducers; ++p) {
        uint64_t seed = rng();
        producers.add(1);
        gleak::go([&r, &producers, ctx = ctx, seed, per_producer, p] {
          std::mt19937_64 mine(seed);
          bool stop = false;
          for (int i = 0; i < per_producer && !stop; ++i) {
            int64_t v = int64_t{p} * 1000003 + i + 1;
            gleak::select(gleak::send_case(r.chans[mine() % kChannels], v,
                                           [&] {
                                             r.sent_sum += v;
                                             ++r.sent_count;
                                           }),
                          gleak::recv_case(ctx.done(), [&](std::optional<Unit>) { stop = true; }));
          }
          producers.done();
        });
      }
      for (int c = 0; c < kConsumers; ++c) {
        consumers.add(1);
        bool polling = (rng() & 1) != 0;
        gleak::go([&r, &consumers, polling] {
          consume(r, polling);
          consumers.done();
        });
      }
      // The canceller: at a random moment (after a random number of yields).
      int yields = static_cast<int>(rng() % 64);
      gleak::go([cancel = cancel, yields] {
        for (int i = 0; i < yields; ++i) gleak::yield();
        cancel();
      });
      producers.wait();
      for (auto& c : r.chans) c.close();  // the consumers drain what is buffered, then end
      consumers.wait();
      ASSERT_EQ(r.received_count.load(), r.sent_count.load()) << "round " << round;
      ASSERT_EQ(r.received_sum.load(), r.sent_sum.load()) << "round " << round;
      operations += r.sent_count.load();
    }
    EXPECT_GT(operations, kRounds);  // something was sent at all
  });
}

}  // namespace
