// A GoogleTest binary run with the zero-leak listener (gleak::testing_main) by
// listener_test.cc, which checks which of these tests the listener fails and what it
// says. The tests run in this order, one after the other.
#include <gtest/gtest.h>

#include <chrono>

#include "gleak/gleak.h"
#include "gleak/testing.h"

using gleak::Chan;
using gleak::Unit;
using namespace std::chrono_literals;

namespace listener_target {

// Never closed: the goroutines blocked on it stay blocked until the process exits.
Chan<Unit> never(0);

[[gnu::noinline]] void wait_forever() { never.recv(); }

}  // namespace listener_target

TEST(Clean, JoinsEverythingItStarts) {
  gleak::WaitGroup wg;
  for (int i = 0; i < 8; ++i) {
    wg.add(1);
    gleak::go([&wg] { wg.done(); });
  }
  wg.wait();
}

TEST(Leaky, LeavesASenderWhoseReceiverGaveUp) {
  Chan<int> answer(0);
  gleak::go([answer] { answer.send(42); });
  // Gives up at once: nobody will ever receive the answer.
}

TEST(Outlived, AGoroutineLeftByAnEarlierTestIsNotBlamedOnThisOne) {
  // Leaky's goroutine is still blocked while this test runs and ends.
  Chan<int> out(0);
  gleak::go([out] { out.send(1); });
  EXPECT_EQ(out.recv(), 1);
}

TEST(Slow, AGoroutineEndingWithinTheRetryWindowPasses) {
  gleak::go([] { gleak::sleep(20ms); });
}

TEST(InRun, AGrandchildOfTheMainGoroutineIsTheTestsToo) {
  gleak::run([] {
    gleak::go([] { gleak::go(listener_target::wait_forever); });
  });
}

TEST(Ignored, ATestThatLeavesAGoroutineOnPurposeSaysSo) {
  gleak::testing::ignore_in_this_test(gleak::testing::ignore_top_function("listener_target::wait_forever"));
  gleak::go(listener_target::wait_forever);
}

TEST(Ignored, TheIgnoreEndsWithTheTestThatAskedForIt) {
  gleak::go(listener_target::wait_forever);
}
