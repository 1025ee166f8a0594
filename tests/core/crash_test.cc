// Tests of how the process dies: the report of an unrecovered panic or a fatal signal in
// a goroutine, at each GLEAK_TRACEBACK level, with the creation chain and the panics
// the goroutine recovered before.
//
// Each crash_* function runs in a death test's child process, where the runtime starts
// fresh: main is goroutine 1 and the goroutines it starts are numbered from 2 on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <thread>
#include <stdexcept>
#include <string>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class CrashDeathTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, CrashDeathTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// ScopedEnv sets an environment variable for one test: the death test's child process
// inherits it, the next test does not.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// count() is the number of times `what` occurs in `s` (reports run to megabytes:
// plain searches, no regular expressions).
std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// headers() is the number of `goroutine <id> [...]:` lines in a report.
std::size_t headers(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < s.size();) {
    std::size_t eol = s.find('\n', at);
    if (eol == std::string::npos) eol = s.size();
    if (s.compare(at, 10, "goroutine ") == 0) {
      std::size_t k = at + 10;
      while (k < eol && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
      n += k > at + 10 && s.compare(k, 2, " [") == 0 && s.compare(eol - 2, 2, "]:") == 0;
    }
    at = eol + 1;
  }
  return n;
}

// StderrIs is a death-test matcher from a predicate, which says what it missed.
class StderrIs : public ::testing::MatcherInterface<const std::string&> {
 public:
  using Check = bool (*)(const std::string&, std::string* why);
  explicit StderrIs(Check check) : check_(check) {}
  bool MatchAndExplain(const std::string& s, ::testing::MatchResultListener* l) const override {
    std::string why;
    bool ok = check_(s, &why);
    if (!ok) *l << why << "\n---- stderr (first 4 KiB) ----\n" << s.substr(0, 4096);
    return ok;
  }
  void DescribeTo(std::ostream* os) const override { *os << "a crash report as the test describes"; }

 private:
  Check check_;
};

::testing::Matcher<const std::string&> stderr_is(StderrIs::Check check) {
  return ::testing::MakeMatcher(new StderrIs(check));
}

bool signals_reported() {
#if defined(__SANITIZE_ADDRESS__) || defined(GLEAK_SANITIZE_BUILD)
  // Sanitizer builds leave fatal signals to the sanitizer.
  return false;
#else
  return true;
#endif
}

[[gnu::noinline]] void explode() { gleak::panic("boom"); }

// A goroutine panics while main waits on a channel that nothing sends on.
void crash_while_main_waits(int procs) {
  gleak::run(
      [] {
        Chan<int> never(0);
        gleak::go([] { explode(); });
        never.recv();
      },
      gleak::Config{.procs = procs});
}

// ---- what the report says about the panic ---------------------------------------------

void crash_with_std_exception(int procs) {
  gleak::run(
      [] {
        gleak::go([] { throw std::out_of_range("index 7 of 3"); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, AnExceptionIsReportedWithItsTypeAndAPanicWithout) {
  EXPECT_EXIT(crash_with_std_exception(GetParam()), ::testing::ExitedWithCode(2),
              "^panic: index 7 of 3 \\[std::out_of_range\\]\n\ngoroutine 2 \\[running\\]:\n");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2),
              "^panic: boom\n\ngoroutine 2 \\[running\\]:\n");
}

// level3 panics in goroutine 4, created by level2 in goroutine 3, created by level1 in
// goroutine 2, created by main: each parent stays parked, so the chain is alive.
[[gnu::noinline]] void level3() { gleak::panic("deep"); }
[[gnu::noinline]] void level2(Chan<Unit> hold) {
  gleak::go([] { level3(); });
  hold.recv();
}
[[gnu::noinline]] void level1(Chan<Unit> hold) {
  gleak::go([hold] { level2(hold); });
  hold.recv();
}

void crash_three_deep(int procs) {
  gleak::run(
      [] {
        Chan<Unit> hold(0);
        gleak::go([hold] { level1(hold); });
        hold.recv();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, TheCreationChainGoesUpToTheMainGoroutine) {
  EXPECT_EXIT(crash_three_deep(GetParam()), ::testing::ExitedWithCode(2),
              "panic: deep\n\ngoroutine 4 \\[running\\]:\n"
              "[^\n]*level3\\(\\)\n\t[^\n]*crash_test\\.cc:[0-9]+ [^\n]*\n"
              "(.*\n)*created by [^\n]*level2[^\n]* in goroutine 3\n\t[^\n]*crash_test\\.cc:[0-9]+ \\+0x[0-9a-f]+\n"
              "goroutine 3 was created by [^\n]*level1[^\n]* in goroutine 2\n\t[^\n]*crash_test\\.cc:[0-9]+ \\+0x[0-9a-f]+\n"
              "goroutine 2 was created by [^\n]*crash_three_deep[^\n]* in goroutine 1\n");
}

// Goroutine 3 panics after its creator, goroutine 2, has returned: the chain stops there.
void crash_after_the_creator_exited(int procs) {
  gleak::run(
      [] {
        Chan<Unit> go_on(0);
        gleak::go([go_on] { gleak::go([go_on] {
                              go_on.recv();
                              explode();
                            }); });
        // Only goroutine 1 (this one) and goroutine 3 are left once goroutine 2 has
        // returned; its exit is not announced otherwise.
        while (gleak::num_goroutine() != 2) gleak::yield();
        go_on.send({});
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, TheCreationChainStopsAtAnAncestorThatHasExited) {
  EXPECT_EXIT(crash_after_the_creator_exited(GetParam()), ::testing::ExitedWithCode(2),
              "panic: boom\n\ngoroutine 3 \\[running\\]:\n(.*\n)*"
              "created by [^\n]* in goroutine 2\n\t[^\n]*\n"
              "goroutine 2 has exited: where it was created is not known\n");
}

// A destructor that panics while a panic unwinds through it: C++ calls
// std::terminate, and the report is of the panic from the destructor.
struct PanicsWhenDestroyed {
  ~PanicsWhenDestroyed() noexcept(false) { gleak::panic("from a destructor"); }
};

[[gnu::noinline]] void unwind_through_a_panicking_destructor() {
  PanicsWhenDestroyed guard;
  gleak::panic("first");
}

void crash_in_a_destructor_during_unwinding(int procs) {
  gleak::run(
      [] {
        gleak::go([] {
          // recover() would catch "first"; the destructor's panic on the way there is
          // fatal: two exceptions in flight.
          (void)gleak::recover(unwind_through_a_panicking_destructor);
        });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, APanicInADestructorDuringUnwindingReportsBothPanicsOnce) {
  EXPECT_EXIT(crash_in_a_destructor_during_unwinding(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                // Both panics, Go's way: the first, then the one raised while it unwound.
                if (s.rfind("panic: first\n\tpanic: from a destructor\n\ngoroutine 2 [running]:\n", 0) != 0) {
                  *why = "does not start with both panics";
                  return false;
                }
                if (s.find("~PanicsWhenDestroyed") == std::string::npos) {
                  *why = "the destructor is not on the stack";
                  return false;
                }
                if (count("\n" + s, "\npanic: ") != 1) {
                  *why = "not exactly one report";
                  return false;
                }
                return true;
              }));
}

// ---- panics on plain threads and several at once ---------------------------------------

void crash_with_panic_on_a_plain_thread(int procs) {
  gleak::run([] {}, gleak::Config{.procs = procs});  // the handlers are installed
  std::thread t([] { gleak::panic("not in a goroutine"); });
  t.join();
}

TEST_P(CrashDeathTest, APanicOnAPlainThreadNamesTheThread) {
  EXPECT_EXIT(crash_with_panic_on_a_plain_thread(GetParam()), ::testing::ExitedWithCode(2),
              "^panic: not in a goroutine\n\nthread [0-9]+ \\[running\\]:\n");
}

// Goroutines that all panic as soon as they are released together.
void crash_with_many_panics_at_once(int procs) {
  gleak::run(
      [] {
        Chan<Unit> start(0);
        for (int i = 0; i < 8; ++i) {
          gleak::go([start] {
            start.recv();
            gleak::panic("one of many");
          });
        }
        start.close();
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, GoroutinesPanickingAtOnceGiveOneReport) {
  EXPECT_EXIT(crash_with_many_panics_at_once(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                if (count(s, "panic: one of many\n") != 1 || count(s, "[running]:\n") != 1) {
                  *why = "not exactly one report";
                  return false;
                }
                return true;
              }));
}

// ---- GLEAK_TRACEBACK --------------------------------------------------------------------

TEST_P(CrashDeathTest, TracebackNonePrintsOnlyThePanic) {
  ScopedEnv env("GLEAK_TRACEBACK", "none");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                *why = "want exactly the panic line";
                return s == "panic: boom\n";
              }));
}

TEST_P(CrashDeathTest, TracebackSingleIsTheDefaultAndShowsOnlyThePanickingGoroutine) {
  ScopedEnv env("GLEAK_TRACEBACK", "single");
  auto only_goroutine_2 = [](const std::string& s, std::string* why) {
    if (s.find("goroutine 2 [running]:\n") == std::string::npos || s.find("explode()") == std::string::npos) {
      *why = "goroutine 2's stack is missing";
      return false;
    }
    if (headers(s) != 1) {
      *why = "other goroutines are shown";
      return false;
    }
    return true;
  };
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2), stderr_is(only_goroutine_2));
  unsetenv("GLEAK_TRACEBACK");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2), stderr_is(only_goroutine_2));
}

bool shows_main_waiting(const std::string& s, std::string* why) {
  auto main_at = s.find("\n\ngoroutine 1 [chan receive]:\n");
  if (s.find("goroutine 2 [running]:\n") != std::string::npos && main_at != std::string::npos &&
      s.find("crash_while_main_waits", main_at) != std::string::npos && s.find("explode()") < main_at) {
    return true;
  }
  *why = "want goroutine 2's stack, then goroutine 1 waiting in crash_while_main_waits";
  return false;
}

TEST_P(CrashDeathTest, TracebackAllShowsEveryOtherGoroutineAfterThePanickingOne) {
  ScopedEnv env("GLEAK_TRACEBACK", "all");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2), stderr_is(shows_main_waiting));
}

TEST_P(CrashDeathTest, TracebackOneIsGosAliasForAll) {
  ScopedEnv env("GLEAK_TRACEBACK", "1");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2), stderr_is(shows_main_waiting));
}

TEST_P(CrashDeathTest, TracebackSystemAlsoShowsTheRuntimesOwnFrames) {
  ScopedEnv env("GLEAK_TRACEBACK", "system");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                if (!shows_main_waiting(s, why)) return false;
                // Goroutine 1 is parked inside the channel's receive.
                auto main_at = s.find("\ngoroutine 1 [chan receive]:\n");
                *why = "no gleak frame in goroutine 1's stack";
                return s.find("gleak::", main_at) < s.find("crash_while_main_waits", main_at);
              }));
}

TEST_P(CrashDeathTest, TracebackCrashShowsAllAndDiesOfSigabrt) {
  ScopedEnv env("GLEAK_TRACEBACK", "crash");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::KilledBySignal(SIGABRT), stderr_is(shows_main_waiting));
}

TEST_P(CrashDeathTest, AnUnknownTracebackLevelIsSaidAndSingleIsUsed) {
  ScopedEnv env("GLEAK_TRACEBACK", "everything");
  EXPECT_EXIT(crash_while_main_waits(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                if (s.find("GLEAK_TRACEBACK=everything is not none, single, all, system or crash") ==
                    std::string::npos) {
                  *why = "no word about the bad value";
                  return false;
                }
                if (s.find("goroutine 2 [running]:\n") == std::string::npos || headers(s) != 1) {
                  *why = "not the single level";
                  return false;
                }
                return true;
              }));
}

// ---- 100,000 parked goroutines -----------------------------------------------------------

constexpr int kParked = 100'000;

[[gnu::noinline]] void parked_forever(Chan<Unit> never) { never.recv(); }

void crash_with_many_parked(int procs) {
  gleak::run(
      [] {
        Chan<Unit> never(0);
        gleak::WaitGroup started;
        started.add(kParked);
        for (int i = 0; i < kParked; ++i) {
          gleak::go([never, &started] {
            started.done();
            parked_forever(never);
          });
        }
        started.wait();
        explode();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, WithAHundredThousandParkedGoroutinesTheReportIsShortByDefault) {
  GLEAK_SKIP_IF_OVER_SANITIZER_LIMIT(kParked);
  EXPECT_EXIT(crash_with_many_parked(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                *why = "want goroutine 1's report alone";
                return s.rfind("panic: boom\n\ngoroutine 1 [running]:\n", 0) == 0 &&
                       headers(s) == 1;
              }));
}

TEST_P(CrashDeathTest, WithAHundredThousandParkedGoroutinesTracebackAllShowsEveryOne) {
  GLEAK_SKIP_IF_OVER_SANITIZER_LIMIT(kParked);
  ScopedEnv env("GLEAK_TRACEBACK", "all");
  EXPECT_EXIT(crash_with_many_parked(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                if (s.rfind("panic: boom\n\ngoroutine 1 [running]:\n", 0) != 0) {
                  *why = "does not start with goroutine 1's panic";
                  return false;
                }
                // Every goroutine once, each with its own header; the parked ones may
                // still be on their way to the channel (runnable) when main panics.
                std::size_t others = headers(s) - 1;
                std::size_t in_recv = count(s, "[chan receive]:\n(anonymous namespace)::parked_forever(");
                if (others != static_cast<std::size_t>(kParked)) {
                  *why = std::to_string(others) + " other goroutines shown, want " + std::to_string(kParked);
                  return false;
                }
                if (in_recv == 0 || s.find("\ngoroutine 100001 [") == std::string::npos) {
                  *why = "parked goroutines are not shown waiting in parked_forever";
                  return false;
                }
                return true;
              }));
}

// ---- fatal signals -----------------------------------------------------------------------

// The pointer is volatile, not only what it points at: a compiler that sees a store
// through a known null pointer may drop the whole call.
int* volatile g_null = nullptr;

[[gnu::noinline]] void write_through_null() { *g_null = 1; }

void crash_with_null_write(int procs) {
  gleak::run(
      [] {
        gleak::go([] { write_through_null(); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

// The signal handler hands the report to the reporter thread, which symbolizes it.
TEST_P(CrashDeathTest, ANullWriteInAGoroutineIsReportedWithFunctionsAndLines) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(crash_with_null_write(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGSEGV: segmentation violation code=[0-9]+ addr=0x0 pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 2 \\[running\\]:\n[^\n]*write_through_null\\(\\)\n\t[^\n]*crash_test\\.cc:[0-9]+ \\+0x[0-9a-f]+\n"
              "created by [^\n]*crash_with_null_write[^\n]* in goroutine 1\n\t[^\n]*crash_test\\.cc:[0-9]+ \\+0x[0-9a-f]+\n");
}

// GLEAK_CRASH_SYMBOLIZE=0 (or a reporter that cannot answer in time) leaves the
// addresses as module+offset, which the arena lets `gleak dump` name later.
TEST_P(CrashDeathTest, ANullWriteWithoutSymbolizingIsReportedWithModuleOffsets) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  ScopedEnv env("GLEAK_CRASH_SYMBOLIZE", "0");
  EXPECT_EXIT(crash_with_null_write(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGSEGV: segmentation violation code=[0-9]+ addr=0x0 pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 2 \\[running\\]:\n\t/[^\n]*crash_test\\+0x[0-9a-f]+\n"
              "(.*\n)*created by /[^\n]*crash_test\\+0x[0-9a-f]+ in goroutine 1\n"
              "(.*\n)*\\[addresses are module\\+offset: [^\n]*`gleak dump [^\n]*\\.arena` names them\\]\n$");
}

// A reporter that does not answer within the limit (here a limit no symbolizer can
// meet): the handler gives up, writes the module+offset report itself, and the
// reporter's late answer is never written. Exactly one report, with status 2.
TEST_P(CrashDeathTest, ASymbolizerThatMissesItsTimeLimitLeavesOneReportWithModuleOffsets) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  ScopedEnv env("GLEAK_CRASH_SYMBOLIZE", "1ns");
  EXPECT_EXIT(crash_with_null_write(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGSEGV: segmentation violation code=[0-9]+ addr=0x0 pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 2 \\[running\\]:\n\t/[^\n]*crash_test\\+0x[0-9a-f]+\n"
              "([^u\n][^\n]*\n|\n)*"
              "\\[addresses are module\\+offset: [^\n]*`gleak dump [^\n]*\\.arena` names them\\]\n$");
}

volatile int g_zero = 0;
volatile int g_sink = 0;

// The quotient is stored: an unused division may be dropped.
[[gnu::noinline]] void divide_by_zero() { g_sink = 7 / g_zero; }

void crash_with_integer_division_by_zero(int procs) {
  gleak::run(
      [] {
        gleak::go([] { divide_by_zero(); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, AnIntegerDivisionByZeroInAGoroutineIsReportedAsSigfpe) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(crash_with_integer_division_by_zero(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGFPE: floating-point exception code=1 addr=0x[0-9a-f]+ pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 2 \\[running\\]:\n[^\n]*divide_by_zero\\(\\)\n\t[^\n]*crash_test\\.cc:[0-9]+");
}

void crash_with_illegal_instruction(int procs) {
  gleak::run(
      [] {
        gleak::go([] { __builtin_trap(); });  // ud2
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, AnIllegalInstructionInAGoroutineIsReportedAsSigill) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(crash_with_illegal_instruction(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGILL: illegal instruction code=[0-9]+ addr=0x[0-9a-f]+ pc=0x[0-9a-f]+\\]\n\n"
              "goroutine 2 \\[running\\]:\n");
}

void crash_with_abort(int procs) {
  gleak::run(
      [] {
        gleak::go([] { std::abort(); });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, AbortInAGoroutineIsReportedAsSigabrt) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(crash_with_abort(GetParam()), ::testing::ExitedWithCode(2),
              "^unexpected signal during goroutine execution\n"
              "\\[signal SIGABRT: abort code=-6 pc=0x[0-9a-f]+\\]\n\ngoroutine 2 \\[running\\]:\n"
              // libc's raise and abort, then the goroutine's own function.
              "(.*\n)*abort\n\t[^\n]*\n[^\n]*crash_with_abort[^\n]*\n\t[^\n]*crash_test\\.cc:[0-9]+");
}

TEST_P(CrashDeathTest, AbortInAGoroutineWithTracebackCrashDiesOfSigabrtOnce) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  ScopedEnv env("GLEAK_TRACEBACK", "crash");
  EXPECT_EXIT(crash_with_abort(GetParam()), ::testing::KilledBySignal(SIGABRT),
              stderr_is([](const std::string& s, std::string* why) {
                *why = "want one SIGABRT report, with goroutine 1 too";
                return count(s, "[signal SIGABRT") == 1 && s.find("\ngoroutine 1 [") != std::string::npos;
              }));
}

void abort_on_a_plain_thread(int procs) {
  gleak::run([] {}, gleak::Config{.procs = procs});  // the handlers are installed
  std::abort();
}

TEST_P(CrashDeathTest, AbortOutsideGoroutinesKeepsItsDefaultAction) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(abort_on_a_plain_thread(GetParam()), ::testing::KilledBySignal(SIGABRT),
              stderr_is([](const std::string& s, std::string* why) {
                *why = "a report was printed for a signal that is not a goroutine's";
                return s.find("goroutine") == std::string::npos;
              }));
}

void segv_on_a_plain_thread(int procs) {
  gleak::run([] {}, gleak::Config{.procs = procs});
  write_through_null();
}

TEST_P(CrashDeathTest, AFaultOutsideGoroutinesKeepsItsDefaultAction) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(segv_on_a_plain_thread(GetParam()), ::testing::KilledBySignal(SIGSEGV),
              stderr_is([](const std::string& s, std::string* why) {
                *why = "a report was printed for a signal that is not a goroutine's";
                return s.find("goroutine") == std::string::npos;
              }));
}

// A handler installed before the runtime: it still gets the signals that are not a
// goroutine's.
void exit_42(int, siginfo_t*, void*) { _exit(42); }

void fpe_on_a_plain_thread_with_a_previous_handler(int procs) {
  struct sigaction sa {};
  sa.sa_sigaction = exit_42;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGFPE, &sa, nullptr);
  gleak::run([] {}, gleak::Config{.procs = procs});
  divide_by_zero();
}

TEST_P(CrashDeathTest, AFaultOutsideGoroutinesGoesToThePreviousHandler) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(fpe_on_a_plain_thread_with_a_previous_handler(GetParam()), ::testing::ExitedWithCode(42), "");
}

// A library that maps memory on demand catches its own faults: a handler installed
// before the runtime gets a goroutine's fault first, fixes the page and returns, and
// the goroutine goes on.
char* g_lazy_page = nullptr;

void map_on_demand(int, siginfo_t* info, void*) {
  auto* a = static_cast<char*>(info->si_addr);
  if (a >= g_lazy_page && a < g_lazy_page + 4096) {
    mprotect(g_lazy_page, 4096, PROT_READ | PROT_WRITE);
    return;
  }
  _exit(43);
}

void fault_fixed_by_a_previous_handler(int procs) {
  g_lazy_page = static_cast<char*>(mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  struct sigaction sa {};
  sa.sa_sigaction = map_on_demand;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, nullptr);
  int got = 0;
  gleak::run(
      [&got] {
        Chan<int> done(1);
        gleak::go([done] {
          volatile char* p = g_lazy_page;
          p[100] = 7;  // faults once; the library's handler makes the page
          done.send(p[100]);
        });
        got = *done.recv();
      },
      gleak::Config{.procs = procs});
  std::_Exit(got == 7 ? 0 : 44);
}

TEST_P(CrashDeathTest, AGoroutinesFaultGoesFirstToAHandlerInstalledBefore) {
  if (!signals_reported()) GTEST_SKIP() << "fatal signals are left to the sanitizer";
  EXPECT_EXIT(fault_fixed_by_a_previous_handler(GetParam()), ::testing::ExitedWithCode(0), "");
}

// ---- recovered panics in the report -----------------------------------------------------

[[gnu::noinline]] void fail_softly() { gleak::panic("soft failure"); }

void crash_after_recovering(int procs) {
  gleak::run(
      [] {
        gleak::go([] {
          auto p = gleak::recover(fail_softly);  // recover site
          if (p) explode();
        });
        gleak::select();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashDeathTest, TheReportListsThePanicsTheGoroutineRecoveredBefore) {
  EXPECT_EXIT(crash_after_recovering(GetParam()), ::testing::ExitedWithCode(2),
              "panic: boom\n\ngoroutine 2 \\[running\\]:\n(.*\n)*"
              "recovered panic: soft failure\n"
              "\tthrown at [^\n]*fail_softly\\(\\) [^\n]*crash_test\\.cc:[0-9]+\n"
              "\trecovered in [^\n]*crash_after_recovering[^\n]*crash_test\\.cc:[0-9]+\n");
}

}  // namespace

// ---- SIGQUIT: every goroutine's stack, then exit 2 (Go's habit) ------------------------

namespace {

// Two goroutines wait on a channel; main sends itself SIGQUIT and sleeps on.
void quit_while_goroutines_wait(int procs) {
  gleak::run(
      [] {
        Chan<int> never(0);
        gleak::WaitGroup started;
        started.add(2);
        for (int i = 0; i < 2; ++i) {
          gleak::go([never, &started] {
            started.done();
            (void)never.recv();
          });
        }
        started.wait();
        kill(getpid(), SIGQUIT);
        gleak::sleep(std::chrono::hours(1));
      },
      gleak::Config{.procs = procs});
}

std::atomic<int> g_quit_seen{0};  // set by the handler on one thread, read on a worker

}  // namespace

// ThreadSanitizer holds an asynchronous signal back until the thread it landed on
// enters a function TSan intercepts; the runtime's threads wait in raw futex calls, so
// a SIGQUIT sent to the process may never reach its handler in that build.
bool async_signals_delivered() {
#if defined(__SANITIZE_THREAD__)
  return false;
#else
  return true;
#endif
}

TEST_P(CrashDeathTest, SigquitDumpsEveryGoroutineAndExitsWithStatus2) {
  if (!async_signals_delivered()) GTEST_SKIP() << "ThreadSanitizer defers the signal past raw futex waits";
  EXPECT_EXIT(quit_while_goroutines_wait(GetParam()), ::testing::ExitedWithCode(2),
              stderr_is([](const std::string& s, std::string* why) {
                if (s.rfind("SIGQUIT: quit\n\ngoroutine ", 0) != 0) {
                  *why = "does not start with SIGQUIT: quit and a goroutine";
                  return false;
                }
                *why = "want main and the two waiting goroutines, each created by main";
                return headers(s) == 3 && count(s, "created by ") == 2 && count(s, "goroutine 1 [") == 1;
              }));
}

TEST_P(CrashDeathTest, SigquitIsLeftAloneWithGleakSigquit0) {
  ScopedEnv env("GLEAK_SIGQUIT", "0");
  EXPECT_EXIT(quit_while_goroutines_wait(GetParam()), ::testing::KilledBySignal(SIGQUIT), "");
}

// A program that handles SIGQUIT itself keeps its handler.
TEST_P(CrashDeathTest, AProgramsOwnSigquitHandlerIsKept) {
  EXPECT_EXIT(
      {
        signal(SIGQUIT, [](int) { g_quit_seen = 1; });
        gleak::run(
            [] {
              kill(getpid(), SIGQUIT);
              while (g_quit_seen == 0) gleak::sleep(std::chrono::milliseconds(1));
              std::exit(7);
            },
            gleak::Config{.procs = GetParam()});
      },
      ::testing::ExitedWithCode(7), "");
}

// Inherited as ignored (a shell's background job), SIGQUIT still dumps, as in Go.
TEST_P(CrashDeathTest, AnIgnoredSigquitStillDumps) {
  if (!async_signals_delivered()) GTEST_SKIP() << "ThreadSanitizer defers the signal past raw futex waits";
  EXPECT_EXIT(
      {
        signal(SIGQUIT, SIG_IGN);
        quit_while_goroutines_wait(GetParam());
      },
      ::testing::ExitedWithCode(2), "^SIGQUIT: quit\n\ngoroutine ");
}
