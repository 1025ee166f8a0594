// Tests of ErrGroup: waiting, the first error, with_context and set_limit.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::ErrGroup;
using gleak::Error;
using gleak::Unit;

class ErrGroupTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, ErrGroupTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(ErrGroupTest, WaitReturnsAnEmptyErrorWhenEveryGoroutineSucceeds) {
  run([] {
    ErrGroup g;
    std::atomic<int> ran{0};
    for (int i = 0; i < 20; ++i) {
      if (i % 2 == 0) {
        g.go([&] {
          ran.fetch_add(1);
          return Error();
        });
      } else {
        g.go([&] { ran.fetch_add(1); });  // void: no error
      }
    }
    Error err = g.wait();
    EXPECT_FALSE(err);
    EXPECT_EQ(ran.load(), 20);
  });
}

TEST_P(ErrGroupTest, WaitOfAnEmptyGroupReturnsAtOnce) {
  run([] { EXPECT_FALSE(ErrGroup().wait()); });
}

TEST_P(ErrGroupTest, WaitReturnsTheErrorOfTheGoroutineThatFailed) {
  run([] {
    ErrGroup g;
    Error failure("shard 7 failed");
    for (int i = 0; i < 10; ++i) {
      g.go([i, failure] { return i == 7 ? failure : Error(); });
    }
    Error err = g.wait();
    EXPECT_TRUE(err == failure);
    EXPECT_EQ(err.message(), "shard 7 failed");
  });
}

TEST_P(ErrGroupTest, WaitReturnsTheFirstError) {
  run([] {
    // The second error is only returned once the group's context reports the first.
    auto [g, ctx] = ErrGroup::with_context(gleak::background());
    Error first("first"), second("second");
    g.go([ctx = ctx, second] {
      ctx.done().recv();
      return second;
    });
    g.go([first] { return first; });
    Error err = g.wait();
    EXPECT_TRUE(err == first) << "got " << err.message();
  });
}

TEST_P(ErrGroupTest, WaitWaitsForEveryGoroutineEvenAfterAnError) {
  run([] {
    ErrGroup g;
    Chan<Unit> failed(1);
    std::atomic<bool> slow_finished{false};
    g.go([failed] {
      failed.send(Unit{});
      return Error("fast failure");
    });
    g.go([&, failed] {
      failed.recv();
      for (int i = 0; i < 10; ++i) gleak::yield();
      slow_finished.store(true);
    });
    EXPECT_EQ(g.wait().message(), "fast failure");
    EXPECT_TRUE(slow_finished.load());
  });
}

TEST_P(ErrGroupTest, WithContextCancelsTheContextOnTheFirstError) {
  run([] {
    auto [g, ctx] = ErrGroup::with_context(gleak::background());
    Error failure("boom");
    std::atomic<bool> saw_cancel{false};
    g.go([ctx = ctx, &saw_cancel] {
      ctx.done().recv();  // would wait forever without the cancellation
      saw_cancel.store(ctx.err() == gleak::context_canceled());
    });
    g.go([failure] { return failure; });
    EXPECT_TRUE(g.wait() == failure);
    EXPECT_TRUE(saw_cancel.load());
  });
}

TEST_P(ErrGroupTest, WithContextCancelsTheContextWhenWaitReturns) {
  run([] {
    auto [g, ctx] = ErrGroup::with_context(gleak::background());
    std::atomic<bool> live_inside{false};
    g.go([ctx = ctx, &live_inside] { live_inside.store(!ctx.err()); });
    EXPECT_FALSE(g.wait());
    EXPECT_TRUE(live_inside.load());
    EXPECT_TRUE(ctx.err() == gleak::context_canceled());
  });
}

TEST_P(ErrGroupTest, WithContextEndsWithItsParent) {
  run([] {
    auto [parent, cancel] = gleak::with_cancel(gleak::background());
    auto [g, ctx] = ErrGroup::with_context(parent);
    g.go([ctx = ctx] {
      ctx.done().recv();
      return ctx.err();
    });
    cancel();
    EXPECT_TRUE(g.wait() == gleak::context_canceled());
  });
}

TEST_P(ErrGroupTest, SetLimitBoundsTheNumberOfGoroutinesRunningAtOnce) {
  run([] {
    constexpr int kLimit = 3, kTasks = 12;
    ErrGroup g;
    g.set_limit(kLimit);
    std::atomic<int> running{0}, max_running{0};
    Chan<Unit> started(kTasks), release(0);
    // The releaser lets a task finish only once kLimit tasks are running (or no more
    // can start), so the limit is reached, not merely respected.
    gleak::WaitGroup releaser_done;
    releaser_done.add(1);
    gleak::go([&] {
      int n_started = 0, n_released = 0;
      while (n_released < kTasks) {
        while (n_started - n_released < kLimit && n_started < kTasks) {
          started.recv();
          ++n_started;
        }
        release.send(Unit{});
        ++n_released;
      }
      releaser_done.done();
    });
    for (int i = 0; i < kTasks; ++i) {
      g.go([&] {
        int now = running.fetch_add(1) + 1;
        int seen = max_running.load();
        while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
        }
        started.send(Unit{});
        release.recv();
        running.fetch_sub(1);
      });
    }
    EXPECT_FALSE(g.wait());
    releaser_done.wait();
    EXPECT_EQ(max_running.load(), kLimit);
  });
}

TEST_P(ErrGroupTest, CopiesOfAGroupShareIt) {
  run([] {
    ErrGroup g;
    ErrGroup copy = g;
    Chan<Unit> release(0);
    std::atomic<bool> finished{false};
    copy.go([&, release] {
      release.recv();
      finished.store(true);
      return Error("from the copy");
    });
    gleak::go([release] { release.send(Unit{}); });
    EXPECT_EQ(g.wait().message(), "from the copy");
    EXPECT_TRUE(finished.load());
  });
}

}  // namespace
