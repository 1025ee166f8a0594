// tests/core/test_util.h — the fixture and helpers shared by the runtime tests.
//
// Every runtime test is parameterised by the number of workers (1, 2 and 4) and runs
// its body as the main goroutine of gleak::run() on that many workers. TearDown then
// waits until every goroutine the test started has exited, except those the test
// declared abandoned (a goroutine blocked forever on purpose): every test is also a
// goroutine leak test. A test that leaks fails by timeout, with a line on stderr that
// says how many goroutines it is still waiting for.
//
// The binaries also run with gleak::testing's zero-leak listener (gleak::testing_main),
// which fails a test whose goroutines are still alive after it: a test that abandons
// goroutines on purpose blocks them inside abandoned() and says so with abandon(),
// which tells the listener to ignore goroutines blocked there.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "gleak/gleak.h"
#include "gleak/testing.h"

namespace gleak_test {

// ThreadSanitizer counts every fiber, so every goroutine alive at once, against its
// limit of 8128 threads, and dies past it: a test that keeps more goroutines alive
// than that skips itself in that build, saying so.
#if defined(__SANITIZE_THREAD__)
inline constexpr int kMaxLiveGoroutines = 8000;
#else
inline constexpr int kMaxLiveGoroutines = 1 << 30;
#endif
#define GLEAK_SKIP_IF_OVER_SANITIZER_LIMIT(n)                                                    \
  if ((n) > ::gleak_test::kMaxLiveGoroutines)                                                     \
  GTEST_SKIP() << "ThreadSanitizer tracks at most " << ::gleak_test::kMaxLiveGoroutines << " " \
               << "goroutines at once; this test needs " << (n)

class RuntimeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    // num_goroutine() does not start the runtime, so a death test's child process
    // still starts it fresh inside the statement (goroutine ids from 1).
    baseline_ = gleak::num_goroutine();
  }

  void TearDown() override {
    // After a failed assertion, goroutines may be stuck on handshakes the test body
    // never finished: waiting for them would turn a clear failure into a timeout.
    if (HasFailure() || IsSkipped()) return;
    const int64_t limit = baseline_ + abandoned_;
    for (uint64_t spins = 1; gleak::num_goroutine() > limit; ++spins) {
      if (spins % (1u << 24) == 0) {
        std::fprintf(stderr, "leak check: still waiting for %lld goroutine(s) to exit\n",
                     static_cast<long long>(gleak::num_goroutine() - limit));
      }
      std::this_thread::yield();
    }
  }

  // run() runs body as the main goroutine on GetParam() workers and returns when it
  // has returned.
  void run(std::function<void()> body) { gleak::run(std::move(body), gleak::Config{.procs = GetParam()}); }

  // abandon() declares that the test leaves n goroutines blocked forever on purpose,
  // inside abandoned().
  void abandon(int n) {
    abandoned_ += n;
    gleak::testing::ignore_in_this_test(gleak::testing::ignore_any_function("gleak_test::abandoned"));
  }

 private:
  int64_t baseline_ = 0;
  int64_t abandoned_ = 0;
};

// DeathTest is the fixture of tests whose statement must crash the process: the
// statement runs in a fresh child process (the threadsafe style re-executes the test
// binary), so the runtime starts there from scratch and goroutine ids are
// deterministic: run()'s main goroutine is 1, the first goroutine it starts is 2.
class DeathTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// abandoned() runs op, which blocks forever on purpose (see abandon()).
[[gnu::noinline]] inline void abandoned(const std::function<void()>& op) {
  op();
  asm volatile("");  // keeps this frame on the stack: no tail call
}

// WorkersName names a parameterised test after its worker count: .../procs4.
inline std::string WorkersName(const ::testing::TestParamInfo<int>& info) {
  return "procs" + std::to_string(info.param);
}

// burn_cpu() does about n iterations of work the compiler cannot remove.
inline uint64_t burn_cpu(uint64_t n) {
  volatile uint64_t x = 0;
  for (uint64_t i = 0; i < n; ++i) x = x + i * 2654435761u;
  return x;
}

}  // namespace gleak_test
