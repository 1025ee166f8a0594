// Tests of select(): recv, send and default cases, the random choice among ready
// cases, closed and nil channels, and select with no cases.
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
using gleak::default_case;
using gleak::recv_case;
using gleak::send_case;
using gleak::Unit;

class SelectTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, SelectTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// As in chan_test.cc: "it is blocked" checks are certain with one worker, where main
// resumes only once the other goroutine has parked.

TEST_P(SelectTest, RecvCaseOfTheReadyChannelRunsAndItsIndexIsReturned) {
  run([] {
    Chan<int> empty(1), full(1);
    full.send(8);
    std::optional<int> got;
    bool wrong_case = false;
    int index = gleak::select(recv_case(empty, [&](std::optional<int>) { wrong_case = true; }),
                              recv_case(full, [&](std::optional<int> v) { got = v; }));
    EXPECT_EQ(index, 1);
    EXPECT_EQ(got, 8);
    EXPECT_FALSE(wrong_case);
    EXPECT_EQ(full.len(), 0u);
  });
}

TEST_P(SelectTest, SendCaseWithRoomSendsAndRunsItsFunction) {
  run([] {
    Chan<int> full(1), room(1);
    full.send(0);
    bool sent = false, wrong_case = false;
    int index = gleak::select(send_case(full, 1, [&] { wrong_case = true; }),
                              send_case(room, 2, [&] { sent = true; }));
    EXPECT_EQ(index, 1);
    EXPECT_TRUE(sent);
    EXPECT_FALSE(wrong_case);
    EXPECT_EQ(room.recv(), 2);
    EXPECT_EQ(full.recv(), 0);
  });
}

TEST_P(SelectTest, DefaultRunsWhenNoCaseIsReady) {
  run([] {
    Chan<int> empty(0), full(1);
    full.send(0);
    bool ran_default = false;
    int index = gleak::select(recv_case(empty, [](std::optional<int>) {}), send_case(full, 1, [] {}),
                              default_case([&] { ran_default = true; }));
    EXPECT_EQ(index, 2);
    EXPECT_TRUE(ran_default);
    EXPECT_EQ(full.len(), 1u);
  });
}

TEST_P(SelectTest, DefaultDoesNotRunWhenACaseIsReady) {
  run([] {
    Chan<int> ready(1);
    ready.send(4);
    bool ran_default = false;
    int index = gleak::select(default_case([&] { ran_default = true; }), recv_case(ready, [](std::optional<int>) {}));
    EXPECT_EQ(index, 1);
    EXPECT_FALSE(ran_default);
  });
}

TEST_P(SelectTest, WithoutDefaultItBlocksUntilACaseIsReady) {
  run([] {
    Chan<int> a(0), b(0);
    Chan<Unit> started(1);
    Chan<std::pair<int, int>> outcome(1);
    gleak::go([=] {
      started.send(Unit{});
      int value = 0;
      int index = gleak::select(recv_case(a, [&](std::optional<int> v) { value = *v; }),
                                recv_case(b, [&](std::optional<int> v) { value = *v; }));
      outcome.send({index, value});
    });
    started.recv();
    EXPECT_EQ(outcome.len(), 0u);
    b.send(5);
    auto got = *outcome.recv();
    EXPECT_EQ(got.first, 1);
    EXPECT_EQ(got.second, 5);
  });
}

TEST_P(SelectTest, ABlockedSendCaseCompletesWhenAReceiverArrives) {
  run([] {
    Chan<int> a(0), b(0);
    Chan<int> outcome(1);
    gleak::go([=] {
      int index = gleak::select(send_case(a, 10, [] {}), send_case(b, 20, [] {}));
      outcome.send(index);
    });
    EXPECT_EQ(a.recv(), 10);
    EXPECT_EQ(outcome.recv(), 0);
  });
}

TEST_P(SelectTest, AReadyCaseIsChosenUniformlyAtRandom) {
  run([] {
    // Both channels always hold a value: both cases are always ready. Over 2000
    // selects a fair choice gives each about 1000 wins (sd 22); 500 is 22 sd away.
    constexpr int kSelects = 2000;
    Chan<int> a(1), b(1);
    a.send(0);
    b.send(1);
    int wins[2] = {0, 0};
    for (int i = 0; i < kSelects; ++i) {
      int index = gleak::select(recv_case(a, [&](std::optional<int>) { a.send(0); }),
                                recv_case(b, [&](std::optional<int>) { b.send(1); }));
      ASSERT_TRUE(index == 0 || index == 1);
      ++wins[index];
    }
    EXPECT_GE(wins[0], kSelects / 4);
    EXPECT_GE(wins[1], kSelects / 4);
  });
}

TEST_P(SelectTest, AReadySendCaseIsChosenUniformlyAtRandom) {
  run([] {
    constexpr int kSelects = 2000;
    Chan<int> a(1), b(1);
    int wins[2] = {0, 0};
    for (int i = 0; i < kSelects; ++i) {
      int index = gleak::select(send_case(a, 0, [&] { a.recv(); }), send_case(b, 1, [&] { b.recv(); }));
      ASSERT_TRUE(index == 0 || index == 1);
      ++wins[index];
    }
    EXPECT_GE(wins[0], kSelects / 4);
    EXPECT_GE(wins[1], kSelects / 4);
  });
}

TEST_P(SelectTest, RecvCaseOnAClosedChannelFiresWithNullopt) {
  run([] {
    Chan<int> closed(0);
    closed.close();
    bool fired = false;
    std::optional<int> got = 99;
    int index = gleak::select(recv_case(closed, [&](std::optional<int> v) {
                                fired = true;
                                got = v;
                              }),
                              default_case([] {}));
    EXPECT_EQ(index, 0);
    EXPECT_TRUE(fired);
    EXPECT_EQ(got, std::nullopt);
  });
}

TEST_P(SelectTest, CloseWakesASelectBlockedOnRecvWithNullopt) {
  run([] {
    Chan<int> a(0), b(0);
    Chan<Unit> started(1);
    Chan<std::pair<int, bool>> outcome(1);
    gleak::go([=] {
      started.send(Unit{});
      bool had_value = true;
      int index = gleak::select(recv_case(a, [&](std::optional<int> v) { had_value = v.has_value(); }),
                                recv_case(b, [&](std::optional<int> v) { had_value = v.has_value(); }));
      outcome.send({index, had_value});
    });
    started.recv();
    a.close();
    auto got = *outcome.recv();
    EXPECT_EQ(got.first, 0);
    EXPECT_FALSE(got.second);
  });
}

TEST_P(SelectTest, NilChannelCasesAreNeverChosen) {
  run([] {
    Chan<int> nil;
    Chan<int> ready(1);
    for (int i = 0; i < 200; ++i) {
      EXPECT_EQ(gleak::select(recv_case(nil, [](std::optional<int>) {}), send_case(nil, 1, [] {}),
                              default_case([] {})),
                2);
      ready.send(i);
      EXPECT_EQ(gleak::select(recv_case(nil, [](std::optional<int>) {}), recv_case(ready, [](std::optional<int>) {}),
                              send_case(nil, 1, [] {})),
                1);
    }
  });
}

TEST_P(SelectTest, SelectWithOnlyNilCasesBlocksForever) {
  abandon(1);
  run([] {
    auto proceeded = std::make_shared<std::atomic<bool>>(false);
    Chan<Unit> started(1);
    gleak::go([proceeded, started] {
      started.send(Unit{});
      gleak_test::abandoned([] {
        Chan<int> nil;
        gleak::select(recv_case(nil, [](std::optional<int>) {}), send_case(nil, 1, [] {}));
      });
      proceeded->store(true);
    });
    started.recv();
    gleak::yield();
    EXPECT_FALSE(proceeded->load());
  });
}

TEST_P(SelectTest, SelectWithNoCasesBlocksForever) {
  abandon(1);
  run([] {
    auto proceeded = std::make_shared<std::atomic<bool>>(false);
    Chan<Unit> started(1);
    const int64_t before = gleak::num_goroutine();
    gleak::go([proceeded, started] {
      started.send(Unit{});
      gleak_test::abandoned([] { gleak::select(); });
      proceeded->store(true);
    });
    started.recv();
    gleak::yield();
    EXPECT_FALSE(proceeded->load());
    EXPECT_GE(gleak::num_goroutine(), before + 1);
  });
}

TEST_P(SelectTest, SelectWithOnlyADefaultRunsIt) {
  run([] {
    bool ran = false;
    EXPECT_EQ(gleak::select(default_case([&] { ran = true; })), 0);
    EXPECT_TRUE(ran);
  });
}

TEST_P(SelectTest, SendCaseOnAClosedChannelPanics) {
  run([] {
    Chan<int> closed(1);
    closed.close();
    bool ran_default = false;
    auto p = gleak::recover(
        [&] { gleak::select(send_case(closed, 1, [] {}), default_case([&] { ran_default = true; })); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "send on closed channel");
    EXPECT_FALSE(ran_default);
  });
}

TEST_P(SelectTest, ASelectBlockedOnSendPanicsWhenTheChannelIsClosed) {
  run([] {
    Chan<int> a(0), b(0);
    Chan<Unit> started(1);
    Chan<std::string> outcome(1);
    gleak::go([=] {
      started.send(Unit{});
      auto p = gleak::recover([&] { gleak::select(send_case(a, 1, [] {}), recv_case(b, [](std::optional<int>) {})); });
      outcome.send(p ? p->message : "no panic");
    });
    started.recv();
    a.close();
    EXPECT_EQ(outcome.recv(), "send on closed channel");
    // The select's waiter on b was unlinked when it ended: a send on b finds no
    // receiver.
    EXPECT_EQ(gleak::select(send_case(b, 2, [] {}), default_case([] {})), 1);
  });
}

TEST_P(SelectTest, MoveOnlyValuesPassThroughSelect) {
  run([] {
    Chan<std::unique_ptr<int>> ch(1);
    gleak::select(send_case(ch, std::make_unique<int>(3), [] {}));
    std::unique_ptr<int> got;
    gleak::select(recv_case(ch, [&](std::optional<std::unique_ptr<int>> v) { got = std::move(*v); }));
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(*got, 3);
  });
}

TEST_P(SelectTest, SelectOverMoreThanEightChannelsWorks) {
  run([] {
    std::vector<Chan<int>> ch;
    for (int i = 0; i < 10; ++i) ch.emplace_back(0);
    Chan<std::pair<int, int>> outcome(1);
    gleak::go([ch, outcome] {
      int value = -1;
      auto take = [&](std::optional<int> v) { value = *v; };
      int index = gleak::select(recv_case(ch[0], take), recv_case(ch[1], take), recv_case(ch[2], take),
                                recv_case(ch[3], take), recv_case(ch[4], take), recv_case(ch[5], take),
                                recv_case(ch[6], take), recv_case(ch[7], take), recv_case(ch[8], take),
                                recv_case(ch[9], take));
      outcome.send({index, value});
    });
    ch[8].send(80);
    auto got = *outcome.recv();
    EXPECT_EQ(got.first, 8);
    EXPECT_EQ(got.second, 80);
  });
}

TEST_P(SelectTest, ConcurrentSelectsOverSharedChannelsLoseNoValue) {
  // Consumers select over two channels and turn a closed one into nil, the Go idiom;
  // every value must be received exactly once.
  run([] {
    constexpr int kProducers = 4, kConsumers = 4, kEach = 3000;
    Chan<int> a(0), b(4);
    gleak::WaitGroup producers, consumers;
    std::atomic<int64_t> sum{0}, count{0};
    producers.add(2 * kProducers);
    consumers.add(kConsumers);
    for (int p = 0; p < 2 * kProducers; ++p) {
      Chan<int> target = p % 2 ? a : b;
      gleak::go([&, target, p] {
        for (int i = 0; i < kEach; ++i) target.send(p * kEach + i);
        producers.done();
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      gleak::go([&, a, b]() mutable {
        int64_t local_sum = 0, local_count = 0;
        while (!a.is_nil() || !b.is_nil()) {
          auto take = [&](Chan<int>& from) {
            return [&](std::optional<int> v) {
              if (!v) {
                from = Chan<int>();
                return;
              }
              local_sum += *v;
              ++local_count;
            };
          };
          gleak::select(recv_case(a, take(a)), recv_case(b, take(b)));
        }
        sum.fetch_add(local_sum);
        count.fetch_add(local_count);
        consumers.done();
      });
    }
    producers.wait();
    a.close();
    b.close();
    consumers.wait();
    const int64_t total = 2 * kProducers * kEach;
    EXPECT_EQ(count.load(), total);
    EXPECT_EQ(sum.load(), total * (total - 1) / 2);
  });
}

}  // namespace
