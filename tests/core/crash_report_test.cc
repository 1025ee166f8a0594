// The crash report must end the process whatever happens while it is written. Here a
// runtime check fails on the very thread writing the report: the program's global
// operator new (which the report's own thread creation calls) fails a GLEAK_CHECK once
// the crash record is in the arena. The process must end with a line saying the report
// failed, not wait for itself for ever.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "arena/layout.h"
#include "core/internal/check.h"
#include "core/internal/probe.h"
#include "gleak/gleak.h"
#include "test_util.h"

namespace {

bool g_armed = false;  // set in the child that dies, just before it panics

bool crash_recorded() {
  gleak::arena::ArenaHeader* h = gleak::internal::arena_header();
  auto* cr = reinterpret_cast<const gleak::arena::CrashRecord*>(reinterpret_cast<const char*>(h) + h->crash_offset);
  return cr->present == 1;
}

}  // namespace

void* operator new(std::size_t n) {
  if (g_armed && crash_recorded()) {
    g_armed = false;
    GLEAK_CHECK(false, "allocation while the crash report is written (test)");
  }
  void* p = std::malloc(n ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

class CrashReportDeathTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, CrashReportDeathTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

void panic_with_a_failing_report(int procs) {
  gleak::run(
      [] {
        gleak::WaitGroup wg;
        wg.add(1);
        gleak::go([] {
          g_armed = true;
          gleak::panic("the first death");
        });
        wg.wait();
      },
      gleak::Config{.procs = procs});
}

TEST_P(CrashReportDeathTest, ACheckFailingOnTheReportingThreadEndsTheProcess) {
  EXPECT_EXIT(panic_with_a_failing_report(GetParam()), ::testing::ExitedWithCode(2),
              "the crash report failed: fatal error: gleak internal check failed: allocation while the crash "
              "report is written");
}

}  // namespace
