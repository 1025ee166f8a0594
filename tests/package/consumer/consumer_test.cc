// gleak::testing_main from an installed gleak: a test that joins its goroutine passes.
#include <gleak/gleak.h>
#include <gleak/testing.h>
#include <gtest/gtest.h>

TEST(Consumer, AJoinedGoroutineIsNoLeak) {
  gleak::run([] {
    gleak::WaitGroup wg;
    wg.add(1);
    gleak::go([&wg] { wg.done(); });
    wg.wait();
  });
  EXPECT_TRUE(gleak::testing::verify_none());
}
