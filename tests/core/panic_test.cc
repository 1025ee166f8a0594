// Tests of panic() and recover(), and of how an unrecovered panic ends the process.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::PanicInfo;
using gleak::Unit;

class PanicTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, PanicTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

class PanicDeathTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, PanicDeathTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

[[gnu::noinline]] void explode_with_boom() {
  gleak::panic("boom");
}

TEST_P(PanicTest, RecoverReturnsThePanicMessage) {
  run([] {
    auto p = gleak::recover([] { gleak::panic("boom"); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "boom");
  });
}

TEST_P(PanicTest, RecoverReportsTheGoroutineThatPanicked) {
  run([] {
    Chan<std::pair<uint64_t, std::optional<PanicInfo>>> out(1);
    gleak::go([out] {
      auto p = gleak::recover(explode_with_boom);
      out.send({gleak::goroutine_id(), std::move(p)});
    });
    auto [id, p] = *out.recv();
    ASSERT_TRUE(p.has_value());
    EXPECT_NE(id, 0u);
    EXPECT_EQ(p->goroutine, id);
    EXPECT_NE(p->goroutine, gleak::goroutine_id());  // not main's
  });
}

TEST_P(PanicTest, RecoverCapturesTheStackOfThePanic) {
  run([] {
    auto p = gleak::recover(explode_with_boom);
    ASSERT_TRUE(p.has_value());
    EXPECT_FALSE(p->stack.empty());
    for (uintptr_t pc : p->stack) EXPECT_NE(pc, 0u);
  });
}

TEST_P(PanicTest, RecoverTurnsAStdExceptionIntoAPanicInfoWithWhat) {
  run([] {
    auto p = gleak::recover([] { throw std::runtime_error("thrown, not panicked"); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "thrown, not panicked");
    EXPECT_EQ(p->goroutine, gleak::goroutine_id());
  });
}

TEST_P(PanicTest, RecoverTurnsAnyOtherExceptionIntoAPanicInfo) {
  run([] { EXPECT_TRUE(gleak::recover([] { throw 42; }).has_value()); });
}

TEST_P(PanicTest, RecoverReturnsNulloptWhenNothingPanics) {
  run([] {
    bool ran = false;
    auto p = gleak::recover([&] { ran = true; });
    EXPECT_TRUE(ran);
    EXPECT_FALSE(p.has_value());
  });
}

TEST_P(PanicTest, PanicThrowsAPanicThatCarriesMessageAndGoroutine) {
  run([] {
    try {
      gleak::panic("typed");
      ADD_FAILURE() << "panic() returned";
    } catch (const gleak::Panic& p) {
      EXPECT_STREQ(p.what(), "typed");
      EXPECT_EQ(p.goroutine(), gleak::goroutine_id());
      EXPECT_FALSE(p.stack().empty());
    }
  });
}

TEST_P(PanicTest, ARecoveredPanicInAGoroutineLetsTheProgramContinue) {
  run([] {
    Chan<std::string> recovered(1);
    gleak::WaitGroup wg;
    wg.add(1);
    gleak::go([&, recovered] {
      if (auto p = gleak::recover(explode_with_boom)) recovered.send(p->message);
      wg.done();
    });
    wg.wait();
    EXPECT_EQ(recovered.recv(), "boom");
    // The runtime goes on: more goroutines run and communicate.
    Chan<int> ch(0);
    gleak::go([ch] { ch.send(1); });
    EXPECT_EQ(ch.recv(), 1);
  });
}

TEST_P(PanicTest, APanicAfterAParkIsRecoveredOnTheSameGoroutine) {
  // The goroutine may resume on another worker thread; its panic is still its own.
  run([] {
    Chan<int> ch(0);
    Chan<std::optional<PanicInfo>> out(1);
    Chan<uint64_t> id(1);
    gleak::go([=] {
      id.send(gleak::goroutine_id());
      out.send(gleak::recover([&] {
        ch.recv();
        gleak::panic("after park");
      }));
    });
    uint64_t child = *id.recv();
    ch.send(1);
    auto p = *out.recv();
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "after park");
    EXPECT_EQ(p->goroutine, child);
  });
}

TEST(Recover, OnAPlainThreadReportsGoroutineZero) {
  std::optional<PanicInfo> p;
  std::thread t([&] { p = gleak::recover([] { gleak::panic("on a thread"); }); });
  t.join();
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->message, "on a thread");
  EXPECT_EQ(p->goroutine, 0u);
}

// A test program links the inspector (through gleak::testing), and with it libunwind.
// The local libunwind exports its own backtrace() and _Unwind_*; linked directly, it
// would take them over from libc and libgcc_s, and every panic's stack capture would go
// through its slower per-thread cache (cmake/gleakRemoteUnwind.cmake).
TEST(Recover, StackCaptureAndUnwindingStayWithLibcAndLibgcc) {
  for (auto [symbol, library] : {std::pair{"backtrace", "libc.so"}, std::pair{"_Unwind_RaiseException", "libgcc_s.so"},
                                 std::pair{"_Unwind_Backtrace", "libgcc_s.so"}}) {
    void* at = dlsym(RTLD_DEFAULT, symbol);
    ASSERT_NE(at, nullptr) << symbol;
    Dl_info info{};
    ASSERT_NE(dladdr(at, &info), 0) << symbol;
    std::string from = info.dli_fname;
    bool sanitizer = from.find("libtsan") != std::string::npos || from.find("libasan") != std::string::npos;
    EXPECT_TRUE(from.find(library) != std::string::npos || sanitizer) << symbol << " comes from " << from;
    EXPECT_EQ(from.find("libunwind"), std::string::npos) << symbol << " comes from " << from;
  }
}

// ---- unrecovered panics: the process dies with status 2 --------------------------------

// Each crash_* function runs in the death test's child process, where the runtime
// starts fresh: main is goroutine 1 and the goroutine it starts first is goroutine 2.

void crash_with_unrecovered_panic_in_a_goroutine(int procs) {
  gleak::run(
      [] {
        gleak::go([] { explode_with_boom(); });
        gleak::select();  // main waits; the panic ends the process
      },
      gleak::Config{.procs = procs});
}

TEST_P(PanicDeathTest, UnrecoveredPanicInAGoroutineExitsWithStatus2AndAReport) {
  EXPECT_EXIT(crash_with_unrecovered_panic_in_a_goroutine(GetParam()), ::testing::ExitedWithCode(2),
              "panic: boom\n\ngoroutine 2 \\[running\\]:\n.*created by [^\n]* in goroutine 1\n");
}

TEST_P(PanicDeathTest, TheReportShowsThePanickingFunction) {
  EXPECT_EXIT(crash_with_unrecovered_panic_in_a_goroutine(GetParam()), ::testing::ExitedWithCode(2),
              "goroutine 2 \\[running\\]:\n(.*\n)?[^\n]*explode_with_boom[^\n]*\n\t[^\n]*panic_test\\.cc:[0-9]+");
}

TEST_P(PanicDeathTest, TheReportNamesTheGoCallSiteAsTheCreator) {
  // Go prints the function that ran the go statement and its file:line. Here that is
  // the lambda in crash_with_unrecovered_panic_in_a_goroutine, in this file.
  EXPECT_EXIT(crash_with_unrecovered_panic_in_a_goroutine(GetParam()), ::testing::ExitedWithCode(2),
              "created by [^\n]*crash_with_unrecovered_panic_in_a_goroutine[^\n]* in goroutine 1\n"
              "\t[^\n]*panic_test\\.cc:[0-9]+ ");
}

void crash_with_exception_escaping_a_goroutine(int procs) {
  gleak::run(
      [] {
        gleak::go([] { throw std::runtime_error("x"); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(PanicDeathTest, AnExceptionEscapingAGoroutineIsAnUnrecoveredPanic) {
  EXPECT_EXIT(crash_with_exception_escaping_a_goroutine(GetParam()), ::testing::ExitedWithCode(2),
              "panic: x[^\n]*\n\ngoroutine 2 \\[running\\]:\n.*created by [^\n]* in goroutine 1\n");
}

void crash_with_unrecovered_panic_in_main(int procs) {
  gleak::run([] { gleak::panic("main gave up"); }, gleak::Config{.procs = procs});
}

TEST_P(PanicDeathTest, UnrecoveredPanicInTheMainGoroutineExitsWithStatus2) {
  EXPECT_EXIT(crash_with_unrecovered_panic_in_main(GetParam()), ::testing::ExitedWithCode(2),
              "panic: main gave up\n\ngoroutine 1 \\[running\\]:\n");
}

void crash_with_send_on_closed_channel(int procs) {
  gleak::run(
      [] {
        Chan<int> ch(1);
        ch.close();
        gleak::go([ch] { ch.send(1); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(PanicDeathTest, UnrecoveredSendOnClosedChannelExitsWithStatus2) {
  EXPECT_EXIT(crash_with_send_on_closed_channel(GetParam()), ::testing::ExitedWithCode(2),
              "panic: send on closed channel\n\ngoroutine 2 \\[running\\]:\n.*created by ");
}

void crash_despite_recover_on_another_goroutine(int procs) {
  gleak::run(
      [] {
        auto p = gleak::recover([] {
          gleak::go([] { explode_with_boom(); });
          gleak::select();  // the panic is not this goroutine's: recover cannot stop it
        });
        (void)p;
      },
      gleak::Config{.procs = procs});
}

TEST_P(PanicDeathTest, RecoverDoesNotStopAPanicOfAnotherGoroutine) {
  EXPECT_EXIT(crash_despite_recover_on_another_goroutine(GetParam()), ::testing::ExitedWithCode(2),
              "panic: boom\n\ngoroutine 2 \\[running\\]:\n");
}

}  // namespace
