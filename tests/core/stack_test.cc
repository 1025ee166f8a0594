// Tests of goroutine stacks: many parked goroutines at once, the usable stack size,
// and stack overflow.
#include <gtest/gtest.h>

#include <cstring>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class StackTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, StackTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

class StackDeathTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, StackDeathTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(StackTest, AHundredThousandGoroutinesCanBeParkedAtOnce) {
  GLEAK_SKIP_IF_OVER_SANITIZER_LIMIT(100'000);
  run([] {
    constexpr int kN = 100'000;
    Chan<Unit> gate(0);
    gleak::WaitGroup parked, finished;
    parked.add(kN);
    finished.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&, gate] {
        parked.done();
        gate.recv();
        finished.done();
      });
    }
    parked.wait();
    EXPECT_GE(gleak::num_goroutine(), kN + 1);
    gate.close();  // releases every one of them at once
    finished.wait();
  });
}

TEST_P(StackTest, AGoroutineCanUseHalfOfItsDefaultStack) {
  // The default stack is 64 KiB (GLEAK_STACK_KB changes it; the tests run without).
  run([] {
    Chan<int> out(1);
    gleak::go([out] {
      volatile unsigned char buf[32 * 1024];
      for (std::size_t i = 0; i < sizeof buf; i += 512) buf[i] = static_cast<unsigned char>(i / 512);
      int sum = 0;
      for (std::size_t i = 0; i < sizeof buf; i += 512) sum += buf[i];
      out.send(sum);
    });
    EXPECT_EQ(out.recv(), 63 * 64 / 2);
  });
}

// recurse() uses a frame the compiler can neither drop nor turn into a loop: a volatile
// array, and work after the recursive call. The depth limit (256 MB of frames) is far
// beyond any goroutine stack; it only keeps the recursion from being infinite.
[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[256];
  frame[0] = static_cast<char>(depth);
  frame[255] = static_cast<char>(depth >> 8);
  int below = depth < 1'000'000 ? recurse(depth + 1) : 0;
  return below + frame[0] + frame[255];
}

void crash_with_stack_overflow(int procs) {
  gleak::run(
      [] {
        gleak::go([] { (void)recurse(0); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(StackDeathTest, DeepRecursionIsReportedAsStackOverflowWithExitStatus2) {
#if defined(__SANITIZE_ADDRESS__) || defined(GLEAK_SANITIZE_BUILD)
  // Sanitizer builds leave SIGSEGV to the sanitizer: the runtime's overflow report is
  // not installed there.
  GTEST_SKIP() << "stack overflow reports are off under sanitizers";
#endif
  EXPECT_EXIT(crash_with_stack_overflow(GetParam()), ::testing::ExitedWithCode(2),
              "goroutine stack exceeds [0-9]+-byte limit\nfatal error: stack overflow\n\ngoroutine 2 "
              "\\[running\\]:\n");
}

}  // namespace
