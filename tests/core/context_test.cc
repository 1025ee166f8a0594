// Tests of Context: background, with_cancel, with_deadline and with_timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <type_traits>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using gleak::Chan;
using gleak::Clock;
using gleak::Context;
using gleak::Unit;

class ContextTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, ContextTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// is_done() says whether ctx's done channel is closed, without blocking.
bool is_done(const Context& ctx) {
  bool closed = false;
  gleak::select(gleak::recv_case(ctx.done(), [&](std::optional<Unit> v) { closed = !v.has_value(); }),
                gleak::default_case([] {}));
  return closed;
}

TEST_P(ContextTest, BackgroundIsNeverDone) {
  run([] {
    Context bg = gleak::background();
    EXPECT_FALSE(bg.err());
    EXPECT_TRUE(bg.done().is_nil());
    EXPECT_FALSE(bg.deadline().has_value());
    EXPECT_FALSE(is_done(bg));
  });
}

TEST_P(ContextTest, ADefaultConstructedContextIsBackground) {
  run([] {
    Context ctx;
    EXPECT_FALSE(ctx.err());
    EXPECT_TRUE(ctx.done().is_nil());
    EXPECT_FALSE(ctx.deadline().has_value());
  });
}

TEST_P(ContextTest, WithCancelDecomposesIntoContextAndCancelFunc) {
  run([] {
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    static_assert(std::is_same_v<decltype(ctx), Context>);
    static_assert(std::is_same_v<decltype(cancel), gleak::CancelFunc>);
    EXPECT_FALSE(ctx.err());
    EXPECT_FALSE(ctx.done().is_nil());
    EXPECT_FALSE(is_done(ctx));
    EXPECT_FALSE(ctx.deadline().has_value());
    cancel();
  });
}

TEST_P(ContextTest, CancelClosesDoneAndSetsErrToContextCanceled) {
  run([] {
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    cancel();
    EXPECT_EQ(ctx.done().recv(), std::nullopt);  // closed
    EXPECT_TRUE(ctx.err());
    EXPECT_TRUE(ctx.err() == gleak::context_canceled());
    EXPECT_EQ(ctx.err().message(), "context canceled");
  });
}

TEST_P(ContextTest, CancelWakesGoroutinesWaitingOnDone) {
  run([] {
    constexpr int kWaiters = 10;
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    gleak::WaitGroup waiting, woken;
    waiting.add(kWaiters);
    woken.add(kWaiters);
    for (int i = 0; i < kWaiters; ++i) {
      gleak::go([&, ctx] {
        waiting.done();
        ctx.done().recv();
        EXPECT_TRUE(ctx.err() == gleak::context_canceled());
        woken.done();
      });
    }
    waiting.wait();
    cancel();
    woken.wait();
  });
}

TEST_P(ContextTest, CancelTwiceIsHarmless) {
  run([] {
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    cancel();
    auto p = gleak::recover([&] { cancel(); });  // a second close of done would panic
    EXPECT_FALSE(p.has_value());
    EXPECT_TRUE(ctx.err() == gleak::context_canceled());
  });
}

TEST_P(ContextTest, CancelFromManyGoroutinesAtOnceEndsTheContextOnce) {
  run([] {
    constexpr int kCancellers = 16;
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    std::atomic<int> panics{0};
    gleak::WaitGroup wg;
    wg.add(kCancellers);
    for (int i = 0; i < kCancellers; ++i) {
      gleak::go([&, cancel] {
        if (gleak::recover([&] { cancel(); })) panics.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(panics.load(), 0);
    EXPECT_TRUE(ctx.err() == gleak::context_canceled());
  });
}

TEST_P(ContextTest, CancellingAParentCancelsItsDescendants) {
  run([] {
    auto [parent, cancel_parent] = gleak::with_cancel(gleak::background());
    auto [child, cancel_child] = gleak::with_cancel(parent);
    auto [grandchild, cancel_grandchild] = gleak::with_cancel(child);
    auto [timed_child, cancel_timed] = gleak::with_timeout(parent, std::chrono::hours(1));
    cancel_parent();
    for (const Context* c : {&parent, &child, &grandchild, &timed_child}) {
      EXPECT_EQ(c->done().recv(), std::nullopt);
      EXPECT_TRUE(c->err() == gleak::context_canceled());
    }
    cancel_child();
    cancel_grandchild();
    cancel_timed();
  });
}

TEST_P(ContextTest, CancellingAChildDoesNotCancelItsParentOrSiblings) {
  run([] {
    auto [parent, cancel_parent] = gleak::with_cancel(gleak::background());
    auto [child, cancel_child] = gleak::with_cancel(parent);
    auto [sibling, cancel_sibling] = gleak::with_cancel(parent);
    cancel_child();
    EXPECT_TRUE(child.err() == gleak::context_canceled());
    EXPECT_FALSE(parent.err());
    EXPECT_FALSE(is_done(parent));
    EXPECT_FALSE(sibling.err());
    EXPECT_FALSE(is_done(sibling));
    // The parent still cancels the remaining child.
    cancel_parent();
    EXPECT_TRUE(sibling.err() == gleak::context_canceled());
    cancel_sibling();
  });
}

TEST_P(ContextTest, ManyChildrenWithWaitersAreAllCancelledByTheParent) {
  run([] {
    constexpr int kChildren = 500;
    auto [parent, cancel_parent] = gleak::with_cancel(gleak::background());
    std::vector<gleak::CancelFunc> cancels;
    gleak::WaitGroup waiting, woken;
    waiting.add(kChildren);
    woken.add(kChildren);
    for (int i = 0; i < kChildren; ++i) {
      auto [child, cancel] = gleak::with_cancel(parent);
      cancels.push_back(cancel);
      gleak::go([&, child] {
        waiting.done();
        child.done().recv();
        woken.done();
      });
    }
    waiting.wait();
    cancel_parent();
    woken.wait();
    for (auto& c : cancels) c();
  });
}

TEST_P(ContextTest, WithTimeoutExpiresWithDeadlineExceeded) {
  run([] {
    auto start = Clock::now();
    auto [ctx, cancel] = gleak::with_timeout(gleak::background(), 5ms);
    EXPECT_EQ(ctx.done().recv(), std::nullopt);
    EXPECT_GE(Clock::now() - start, 5ms);
    EXPECT_TRUE(ctx.err() == gleak::deadline_exceeded());
    EXPECT_EQ(ctx.err().message(), "context deadline exceeded");
    cancel();  // after expiry: changes nothing
    EXPECT_TRUE(ctx.err() == gleak::deadline_exceeded());
  });
}

TEST_P(ContextTest, WithTimeoutHasItsDeadline) {
  run([] {
    auto before = Clock::now();
    auto [ctx, cancel] = gleak::with_timeout(gleak::background(), std::chrono::hours(1));
    auto after = Clock::now();
    ASSERT_TRUE(ctx.deadline().has_value());
    EXPECT_GE(*ctx.deadline(), before + std::chrono::hours(1));
    EXPECT_LE(*ctx.deadline(), after + std::chrono::hours(1));
    cancel();
  });
}

TEST_P(ContextTest, WithDeadlineExpiresAtTheDeadline) {
  run([] {
    auto deadline = Clock::now() + 4ms;
    auto [ctx, cancel] = gleak::with_deadline(gleak::background(), deadline);
    EXPECT_EQ(ctx.deadline(), deadline);
    ctx.done().recv();
    EXPECT_GE(Clock::now(), deadline);
    EXPECT_TRUE(ctx.err() == gleak::deadline_exceeded());
    cancel();
  });
}

TEST_P(ContextTest, CancelBeforeTheDeadlineEndsWithContextCanceled) {
  run([] {
    auto [ctx, cancel] = gleak::with_timeout(gleak::background(), std::chrono::hours(1));
    cancel();
    EXPECT_EQ(ctx.done().recv(), std::nullopt);
    EXPECT_TRUE(ctx.err() == gleak::context_canceled());
  });
}

TEST_P(ContextTest, AChildOfATimedOutParentEndsWithDeadlineExceeded) {
  run([] {
    auto [parent, cancel_parent] = gleak::with_timeout(gleak::background(), 5ms);
    auto [child, cancel_child] = gleak::with_cancel(parent);
    EXPECT_EQ(child.deadline(), parent.deadline());
    child.done().recv();
    EXPECT_TRUE(child.err() == gleak::deadline_exceeded());
    EXPECT_TRUE(parent.err() == gleak::deadline_exceeded());
    cancel_child();
    cancel_parent();
  });
}

TEST_P(ContextTest, AChildDeadlineIsTheEarlierOfItsOwnAndItsParents) {
  run([] {
    auto [far_parent, cancel_far] = gleak::with_timeout(gleak::background(), std::chrono::hours(2));
    auto [near_child, cancel_near] = gleak::with_timeout(far_parent, std::chrono::hours(1));
    auto [capped_child, cancel_capped] = gleak::with_timeout(near_child, std::chrono::hours(3));
    ASSERT_TRUE(near_child.deadline() && far_parent.deadline() && capped_child.deadline());
    EXPECT_LT(*near_child.deadline(), *far_parent.deadline());
    EXPECT_EQ(capped_child.deadline(), near_child.deadline());
    cancel_capped();
    cancel_near();
    cancel_far();
  });
}

TEST_P(ContextTest, DerivingFromACancelledParentIsCancelledAtOnce) {
  run([] {
    auto [parent, cancel_parent] = gleak::with_cancel(gleak::background());
    cancel_parent();
    auto [child, cancel_child] = gleak::with_cancel(parent);
    EXPECT_TRUE(child.err() == gleak::context_canceled());
    EXPECT_TRUE(is_done(child));
    auto [timed, cancel_timed] = gleak::with_timeout(parent, std::chrono::hours(1));
    EXPECT_TRUE(timed.err() == gleak::context_canceled());
    EXPECT_TRUE(is_done(timed));
    cancel_child();
    cancel_timed();
  });
}

TEST_P(ContextTest, ATimeoutOfZeroOrADeadlineInThePastIsExpiredAtOnce) {
  run([] {
    auto [zero, cancel_zero] = gleak::with_timeout(gleak::background(), gleak::Duration(0));
    EXPECT_TRUE(zero.err() == gleak::deadline_exceeded());
    EXPECT_TRUE(is_done(zero));
    auto [past, cancel_past] = gleak::with_deadline(gleak::background(), Clock::now() - 1s);
    EXPECT_TRUE(past.err() == gleak::deadline_exceeded());
    EXPECT_TRUE(is_done(past));
    cancel_zero();
    cancel_past();
  });
}

TEST_P(ContextTest, ErrIsEmptyWhileTheContextIsLive) {
  run([] {
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    EXPECT_FALSE(ctx.err());
    EXPECT_EQ(ctx.err().message(), "");
    EXPECT_TRUE(ctx.err() == gleak::Error());
    cancel();
  });
}

TEST_P(ContextTest, ADefaultCancelFuncDoesNothing) {
  run([] {
    gleak::CancelFunc none;
    EXPECT_FALSE(gleak::recover([&] { none(); }).has_value());
  });
}

TEST(Context, WorksFromAPlainThread) {
  auto [ctx, cancel] = gleak::with_timeout(gleak::background(), 2ms);
  EXPECT_EQ(ctx.done().recv(), std::nullopt);
  EXPECT_TRUE(ctx.err() == gleak::deadline_exceeded());
  cancel();
}

}  // namespace
