// tests/inspector/report_text_test.cc — format_dump() and friends (inspector/report/report_text.h).
//
// Golden files are in testdata/ (dump_plain.txt, dump_exact.txt, dump_grouped.txt,
// dump_grouped_exact.txt, crash_plain.txt, crash_grouped.txt). To rewrite them after
// an intended change, run with GLEAK_UPDATE_GOLDEN=1 and review the diff; see
// testdata/report_fixtures.h.
#include "inspector/report/report_text.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "testdata/report_fixtures.h"

namespace gleak::inspector {
namespace {

using fixtures::consumer;
using fixtures::crashed_snapshot;
using fixtures::expect_golden;
using fixtures::frame;
using fixtures::goroutine;
using fixtures::kMin;
using fixtures::kMs;
using fixtures::kSec;
using fixtures::producer;
using fixtures::representative_snapshot;
using fixtures::runtime_frame;
using fixtures::waiting;

const TextOptions kPlain{};
const TextOptions kExact{.exact = true};
const TextOptions kGroup{.group = true};
const TextOptions kGroupExact{.exact = true, .group = true};
const TextOptions kAllFrames{.all_frames = true};

Snapshot of(std::vector<Goroutine> gs) {
  Snapshot s;
  s.goroutines = std::move(gs);
  return s;
}

// bucket_count() is how many buckets gs group into.
size_t bucket_count(std::vector<Goroutine> gs, const TextOptions& opt) {
  Snapshot s = of(std::move(gs));
  return group_goroutines(s, opt).size();
}

// count() is how many times needle occurs in text.
int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// --- Status words -------------------------------------------------------------------

TEST(GoroutineHeader, RunningGoroutineSaysRunning) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kRunning), kPlain), "goroutine 7 [running]:");
}

TEST(GoroutineHeader, RunnableGoroutineSaysRunnable) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kRunnable), kPlain), "goroutine 7 [runnable]:");
}

TEST(GoroutineHeader, SyscallGoroutineSaysSyscall) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kSyscall), kPlain), "goroutine 7 [syscall]:");
}

TEST(GoroutineHeader, WaitingGoroutineWithoutReasonSaysWaiting) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kWaiting), kPlain), "goroutine 7 [waiting]:");
}

TEST(GoroutineHeader, CrashedGoroutineSaysRunningWhateverItsState) {
  Goroutine g = waiting(7, WaitReason::kChanSend, 5 * kMin);
  g.crashed = true;
  EXPECT_EQ(format_goroutine_header(g, kPlain), "goroutine 7 [running]:");
}

TEST(GoroutineHeader, TornRecordIsMarkedAfterTheDuration) {
  Goroutine g = waiting(7, WaitReason::kChanSend, 3 * kMin);
  g.torn = true;
  EXPECT_EQ(format_goroutine_header(g, kPlain), "goroutine 7 [chan send, 3 minutes, record torn]:");
}

struct ReasonCase {
  WaitReason reason;
  const char* word;
};

// Named by the word, so test names stay the same from run to run.
void PrintTo(const ReasonCase& c, std::ostream* os) { *os << '"' << c.word << '"'; }

class WaitReasonWord : public ::testing::TestWithParam<ReasonCase> {};

TEST_P(WaitReasonWord, WaitingGoroutineSaysGosWordForItsReason) {
  EXPECT_EQ(format_goroutine_header(waiting(7, GetParam().reason, 0), kPlain),
            std::string("goroutine 7 [") + GetParam().word + "]:");
}

INSTANTIATE_TEST_SUITE_P(AllReasons, WaitReasonWord,
                         ::testing::Values(ReasonCase{WaitReason::kChanSend, "chan send"},
                                           ReasonCase{WaitReason::kChanReceive, "chan receive"},
                                           ReasonCase{WaitReason::kChanSendNil, "chan send (nil chan)"},
                                           ReasonCase{WaitReason::kChanReceiveNil, "chan receive (nil chan)"},
                                           ReasonCase{WaitReason::kSelect, "select"},
                                           ReasonCase{WaitReason::kSelectNoCases, "select (no cases)"},
                                           ReasonCase{WaitReason::kMutexLock, "sync.Mutex.Lock"},
                                           ReasonCase{WaitReason::kRWMutexRLock, "sync.RWMutex.RLock"},
                                           ReasonCase{WaitReason::kRWMutexLock, "sync.RWMutex.Lock"},
                                           ReasonCase{WaitReason::kWaitGroupWait, "sync.WaitGroup.Wait"},
                                           ReasonCase{WaitReason::kCondWait, "sync.Cond.Wait"},
                                           ReasonCase{WaitReason::kSleep, "sleep"},
                                           ReasonCase{WaitReason::kSyscall, "syscall"}),
                         [](const ::testing::TestParamInfo<ReasonCase>& info) {
                           std::string name;
                           for (const char* p = info.param.word; *p != '\0'; ++p) {
                             if (std::isalnum(static_cast<unsigned char>(*p))) name += *p;
                           }
                           return name;
                         });

// --- Go's minutes -------------------------------------------------------------------

TEST(GoroutineHeader, WaitUnderAMinuteHasNoDuration) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 59 * kSec), kPlain), "goroutine 7 [chan send]:");
}

TEST(GoroutineHeader, WaitOfExactlyAMinuteSaysOneMinutesLikeGo) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 60 * kSec), kPlain),
            "goroutine 7 [chan send, 1 minutes]:");
}

TEST(GoroutineHeader, WaitOf61SecondsSaysOneMinutes) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 61 * kSec), kPlain),
            "goroutine 7 [chan send, 1 minutes]:");
}

TEST(GoroutineHeader, MinutesAreRoundedDown) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 2 * kMin + 59 * kSec), kPlain),
            "goroutine 7 [chan send, 2 minutes]:");
}

TEST(GoroutineHeader, WaitOfThreeHoursSays180Minutes) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 3 * 60 * kMin), kPlain),
            "goroutine 7 [chan send, 180 minutes]:");
}

TEST(GoroutineHeader, SyscallOverAMinuteShowsMinutesLikeGo) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kSyscall, WaitReason::kNone, 2 * kMin), kPlain),
            "goroutine 7 [syscall, 2 minutes]:");
}

TEST(GoroutineHeader, RunnableGoroutineHasNoDurationEvenWithAWaitTime) {
  EXPECT_EQ(format_goroutine_header(goroutine(7, GoroutineState::kRunnable, WaitReason::kNone, 5 * kMin), kPlain),
            "goroutine 7 [runnable]:");
}

// --- Exact durations ----------------------------------------------------------------

TEST(GoroutineHeader, ExactModeShowsWaitsUnderAMinute) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 850 * kMs), kExact),
            "goroutine 7 [chan send, 850ms]:");
}

TEST(GoroutineHeader, ExactModeShowsMinutesAndTenths) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, 2 * kMin + 13'400 * kMs), kExact),
            "goroutine 7 [chan send, 2m13.4s]:");
}

TEST(GoroutineHeader, ExactModeShowsNoDurationWhenTheWaitIsUnknown) {
  EXPECT_EQ(format_goroutine_header(waiting(7, WaitReason::kChanSend, -1), kExact), "goroutine 7 [chan send]:");
}

struct DurationCase {
  int64_t ns;
  const char* text;
};

void PrintTo(const DurationCase& c, std::ostream* os) { *os << c.ns << "ns"; }

class Duration : public ::testing::TestWithParam<DurationCase> {};

TEST_P(Duration, PrintsLikeGoRoundedForReading) { EXPECT_EQ(format_duration(GetParam().ns), GetParam().text); }

// Rounding: to the millisecond below one second, to the tenth of a second above, half
// up; Go's own String() would print every nanosecond.
INSTANTIATE_TEST_SUITE_P(Cases, Duration,
                         ::testing::Values(DurationCase{0, "0s"},  // Go's zero
                                           DurationCase{400'000, "0s"},
                                           DurationCase{500'000, "1ms"},
                                           DurationCase{850 * kMs, "850ms"},
                                           DurationCase{999'400'000, "999ms"},
                                           DurationCase{999'600'000, "1s"},  // rounds into seconds
                                           DurationCase{kSec, "1s"},         // no ".0"
                                           DurationCase{2'500 * kMs, "2.5s"},
                                           DurationCase{2'549 * kMs, "2.5s"},
                                           DurationCase{2'550 * kMs, "2.6s"},
                                           DurationCase{59'960 * kMs, "1m0s"},  // rounds into minutes
                                           DurationCase{2 * kMin + 13'400 * kMs, "2m13.4s"},
                                           DurationCase{60 * kMin + 2 * kMin + 3 * kSec, "1h2m3s"},
                                           DurationCase{60 * kMin, "1h0m0s"},  // Go keeps the zero parts
                                           DurationCase{3 * 60 * kMin, "3h0m0s"},
                                           DurationCase{-5, "0s"}));  // clamped

// --- Frames -------------------------------------------------------------------------

TEST(Dump, FramePrintsFunctionThenTabbedFileLineAndOffset) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  g.stack = {frame("worker(int)", "/src/app.cc", 42, 0x1f)};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [runnable]:\nworker(int)\n\t/src/app.cc:42 +0x1f\n");
}

TEST(Dump, InlinedFrameHasNoOffset) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  g.stack = {frame("main::{lambda()#1}::operator()() const", "/src/app.cc", 42, 0)};
  EXPECT_EQ(format_dump(of({g}), kPlain),
            "goroutine 1 [runnable]:\nmain::{lambda()#1}::operator()() const\n\t/src/app.cc:42\n");
}

TEST(Dump, FrameWithoutFileShowsItsModule) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  Frame f;
  f.pc = 0x7f0000001020;
  f.function = "foo_callback";
  f.module = "/usr/lib/libfoo.so.1";
  f.offset = 0x20;
  g.stack = {f};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [runnable]:\nfoo_callback\n\t/usr/lib/libfoo.so.1 +0x20\n");
}

TEST(Dump, FrameWithNothingButAPcShowsThePc) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  Frame f;
  f.pc = 0x7f0012345678;
  g.stack = {f};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [runnable]:\n??\n\t0x7f0012345678\n");
}

TEST(Dump, FrameWithNothingAtAllShowsQuestionMarks) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  g.stack = {Frame{}};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [runnable]:\n??\n\t??\n");
}

TEST(Dump, RuntimeFramesAreHiddenByDefault) {
  Goroutine g = waiting(1, WaitReason::kChanReceive, 0);
  g.stack = {runtime_frame("gleak::internal::park()", "core/scheduler.cc", 412, 0x9b),
             frame("consume()", "/src/app.cc", 31, 0x47)};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [chan receive]:\nconsume()\n\t/src/app.cc:31 +0x47\n");
}

TEST(Dump, RuntimeFramesAreShownWithAllFrames) {
  Goroutine g = waiting(1, WaitReason::kChanReceive, 0);
  g.stack = {runtime_frame("gleak::internal::park()", "core/scheduler.cc", 412, 0x9b),
             frame("consume()", "/src/app.cc", 31, 0x47)};
  EXPECT_EQ(format_dump(of({g}), kAllFrames),
            "goroutine 1 [chan receive]:\ngleak::internal::park()\n\tcore/scheduler.cc:412 +0x9b\n"
            "consume()\n\t/src/app.cc:31 +0x47\n");
}

TEST(Dump, StackOfOnlyRuntimeFramesSaysSo) {
  Goroutine g = waiting(1, WaitReason::kChanReceive, 0);
  g.stack = {runtime_frame("gleak::internal::park()", "core/scheduler.cc", 412, 0x9b)};
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [chan receive]:\n\t(runtime frames only)\n");
}

TEST(Dump, MissingStackPrintsItsNote) {
  Goroutine g = goroutine(1, GoroutineState::kRunning);
  g.stack_note = "running on worker 2";
  EXPECT_EQ(format_dump(of({g}), kPlain), "goroutine 1 [running]:\n\t(stack unavailable: running on worker 2)\n");
}

TEST(Dump, MissingStackWithoutNoteStillSaysItIsUnavailable) {
  EXPECT_EQ(format_dump(of({goroutine(1, GoroutineState::kRunning)}), kPlain),
            "goroutine 1 [running]:\n\t(stack unavailable)\n");
}

TEST(Dump, PartialStackEndsWithItsNote) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  g.stack_note = "truncated at 64 frames";
  EXPECT_EQ(format_dump(of({g}), kPlain),
            "goroutine 1 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\n\t(stack incomplete: truncated at 64 frames)\n");
}

// --- Created by ---------------------------------------------------------------------

TEST(Dump, CreatedByNamesTheParentGoroutine) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.parent_id = 1;
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  g.created_by = frame("main", "/src/app.cc", 80, 0x9c);
  EXPECT_EQ(
      format_dump(of({g}), kPlain),
      "goroutine 2 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\ncreated by main in goroutine 1\n\t/src/app.cc:80 +0x9c\n");
}

TEST(Dump, CreatedByAPlainThreadOmitsTheParent) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  g.created_by = frame("main", "/src/app.cc", 80, 0x9c);
  EXPECT_EQ(format_dump(of({g}), kPlain),
            "goroutine 2 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\ncreated by main\n\t/src/app.cc:80 +0x9c\n");
}

TEST(Dump, UnsymbolizedCreationSiteShowsTheCreatePc) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.parent_id = 1;
  g.create_pc = 0x401234;
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  EXPECT_EQ(format_dump(of({g}), kPlain),
            "goroutine 2 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\ncreated by ?? in goroutine 1\n\t0x401234\n");
}

TEST(Dump, GoroutineWithNoParentAndNoCreatePcHasNoCreatedBy) {
  Goroutine g = goroutine(1, GoroutineState::kRunnable);
  g.stack = {frame("main", "/src/app.cc", 1, 0x1)};
  EXPECT_EQ(count(format_dump(of({g}), kPlain), "created by"), 0);
}

// --- Recovered panics and the creation chain ------------------------------------------

RecoveredPanic recovered(uint64_t goroutine, std::string message) {
  RecoveredPanic r;
  r.goroutine = goroutine;
  r.message = std::move(message);
  r.stack = {runtime_frame("gleak::panic(std::string)", "/src/gleak/panic.cc", 9, 0x10),
             frame("parse(int)", "/src/app.cc", 12, 0x2a)};
  r.thrown_at = frame("parse(int)", "/src/app.cc", 12, 0x2a);
  r.recover_pc = 0x401500;
  r.recovered_in = frame("worker()", "/src/app.cc", 30, 0x44);
  return r;
}

TEST(Dump, ARecoveredPanicIsListedUnderItsGoroutine) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  g.recovered = {0};
  Snapshot s = of({g});
  s.recovered = {recovered(2, "bad input")};
  EXPECT_EQ(format_dump(s, kPlain),
            "goroutine 2 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\n"
            "recovered panic: bad input\n"
            "\tthrown at parse(int) /src/app.cc:12\n"
            "\trecovered in worker() /src/app.cc:30\n");
}

TEST(Dump, ARecoveredExceptionSaysItsTypeAndThatItsThrowSiteIsUnknown) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.recovered = {0};
  Snapshot s = of({g});
  RecoveredPanic r = recovered(2, "index 3");
  r.type = "std::out_of_range";
  r.truncated = true;
  r.stack = {};
  r.thrown_at.reset();
  s.recovered = {r};
  std::string out = format_dump(s, kPlain);
  EXPECT_NE(out.find("recovered panic: index 3... [std::out_of_range]\n\tthrown at (not known: not a gleak::panic)\n"),
            std::string::npos)
      << out;
}

TEST(Dump, OnlyTheLastEightRecoveredPanicsOfAGoroutineAreListed) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  Snapshot s;
  for (uint32_t i = 0; i < 10; ++i) {
    s.recovered.push_back(recovered(2, "failure " + std::to_string(i)));
    g.recovered.push_back(i);
  }
  s.goroutines = {g};
  std::string out = format_dump(s, kPlain);
  EXPECT_EQ(count(out, "recovered panic: "), 8) << out;
  EXPECT_EQ(out.find("failure 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("failure 9\n"), std::string::npos) << out;
  EXPECT_NE(out.find("(2 earlier recovered panic(s) not shown)\n"), std::string::npos) << out;
}

TEST(Dump, PanicsRecoveredByExitedGoroutinesComeLast) {
  Goroutine g = goroutine(2, GoroutineState::kRunnable);
  g.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  Snapshot s = of({g});
  s.recovered = {recovered(7, "gone")};
  s.recovered_lost = 3;
  EXPECT_EQ(format_dump(s, kPlain),
            "goroutine 2 [runnable]:\nf()\n\t/src/app.cc:1 +0x1\n\n"
            "recovered panics of exited goroutines and plain threads (3 older ones overwritten):\n"
            "goroutine 7 (exited):\n"
            "recovered panic: gone\n\tthrown at parse(int) /src/app.cc:12\n\trecovered in worker() /src/app.cc:30\n");
}

TEST(GroupedDump, AGoroutineWithRecoveredPanicsIsNotGroupedWithOthers) {
  Goroutine a = goroutine(2, GoroutineState::kRunnable);
  a.stack = {frame("f()", "/src/app.cc", 1, 0x1)};
  Goroutine b = a;
  b.id = 3;
  b.recovered = {0};
  Snapshot s = of({a, b});
  s.recovered = {recovered(3, "x")};
  EXPECT_EQ(group_goroutines(s, kGroup).size(), 2u);
}

TEST(CrashDump, TheCrashedGoroutinesCreationChainGoesUpItsLiveAncestors) {
  auto child_of = [](uint64_t id, uint64_t parent, const char* creator) {
    Goroutine g = goroutine(id, GoroutineState::kWaiting, WaitReason::kChanReceive, kSec);
    g.parent_id = parent;
    if (parent != 0) g.created_by = frame(creator, "/src/app.cc", static_cast<int>(id * 10), 0x20);
    return g;
  };
  Goroutine crashed = child_of(4, 3, "level3()");
  crashed.crashed = true;
  Snapshot s = of({child_of(1, 0, ""), child_of(2, 1, "main"), child_of(3, 2, "level2()"), crashed});
  s.crash = Crash{};
  s.crash->goroutine = 4;
  s.crash->message = "panic: deep";
  std::string out = format_dump(s, kPlain);
  EXPECT_NE(out.find("created by level3() in goroutine 3\n\t/src/app.cc:40 +0x20\n"
                     "goroutine 3 was created by level2() in goroutine 2\n\t/src/app.cc:30 +0x20\n"
                     "goroutine 2 was created by main in goroutine 1\n\t/src/app.cc:20 +0x20\n\n"),
            std::string::npos)
      << out;
}

TEST(CrashDump, AChainStopsAtAnAncestorThatHasExited) {
  Goroutine crashed = goroutine(9, GoroutineState::kRunning);
  crashed.parent_id = 5;
  crashed.created_by = frame("spawner()", "/src/app.cc", 5, 0x20);
  crashed.crashed = true;
  Snapshot s = of({crashed});
  s.crash = Crash{};
  s.crash->goroutine = 9;
  std::string out = format_dump(s, kPlain);
  EXPECT_NE(out.find("created by spawner() in goroutine 5\n\t/src/app.cc:5 +0x20\n"
                     "goroutine 5 has exited: where it was created is not known\n"),
            std::string::npos)
      << out;
}

// --- Which goroutines, in which order -----------------------------------------------

TEST(Dump, GoroutinesAreSortedByIdAndSeparatedByABlankLine) {
  Goroutine a = goroutine(9, GoroutineState::kRunnable);
  a.stack = {frame("a()", "/src/app.cc", 1, 0x1)};
  Goroutine b = goroutine(3, GoroutineState::kRunnable);
  b.stack = {frame("b()", "/src/app.cc", 2, 0x2)};
  EXPECT_EQ(format_dump(of({a, b}), kPlain),
            "goroutine 3 [runnable]:\nb()\n\t/src/app.cc:2 +0x2\n\n"
            "goroutine 9 [runnable]:\na()\n\t/src/app.cc:1 +0x1\n");
}

TEST(Dump, FreeAndDeadGoroutinesAreNotPrinted) {
  std::string out = format_dump(of({goroutine(1, GoroutineState::kFree), goroutine(2, GoroutineState::kDead),
                                    goroutine(3, GoroutineState::kRunnable)}),
                                kPlain);
  EXPECT_EQ(out, "goroutine 3 [runnable]:\n\t(stack unavailable)\n");
}

TEST(Dump, WarningsAndProcessInfoAreLeftToTheCaller) {
  Snapshot s = of({goroutine(1, GoroutineState::kRunnable)});
  s.pid = 4242;
  s.warnings = {"something could not be read"};
  EXPECT_EQ(format_dump(s, kPlain), "goroutine 1 [runnable]:\n\t(stack unavailable)\n");
}

TEST(Dump, EmptySnapshotPrintsNothing) { EXPECT_EQ(format_dump(Snapshot{}, kPlain), ""); }

// --- Crash first ----------------------------------------------------------------------

TEST(CrashDump, CrashMessageComesFirstFollowedByABlankLine) {
  std::string out = format_dump(crashed_snapshot(), kPlain);
  EXPECT_EQ(out.rfind("panic: order 17 has no customer [std::runtime_error]\n\ngoroutine 3 [running]:\n", 0), 0u)
      << out;
}

TEST(CrashDump, CrashedGoroutineComesBeforeLowerIdsAndTheRestFollowById) {
  std::string out = format_dump(crashed_snapshot(), kPlain);
  size_t g3 = out.find("goroutine 3 ["), g1 = out.find("goroutine 1 ["), g2 = out.find("goroutine 2 ["),
         g4 = out.find("goroutine 4 [");
  ASSERT_NE(g3, std::string::npos);
  ASSERT_NE(g4, std::string::npos);
  EXPECT_LT(g3, g1);
  EXPECT_LT(g1, g2);
  EXPECT_LT(g2, g4);
}

TEST(CrashDump, CrashStackStandsInForTheCrashedGoroutinesMissingStack) {
  std::string out = format_dump(crashed_snapshot(), kPlain);
  EXPECT_NE(out.find("goroutine 3 [running]:\ncheck(Order const&)\n\t/src/orders/check.cc:14 +0x5a\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("stack unavailable"), std::string::npos) << out;
}

TEST(CrashDump, CrashedGoroutinesOwnStackWinsOverTheCrashRecord) {
  Snapshot s = crashed_snapshot();
  s.goroutines[2].stack = {frame("own()", "/src/own.cc", 5, 0x5)};
  std::string out = format_dump(s, kPlain);
  EXPECT_NE(out.find("goroutine 3 [running]:\nown()\n"), std::string::npos) << out;
}

TEST(CrashDump, CrashOnAPlainThreadPrintsAThreadBlock) {
  Snapshot s;
  Crash c;
  c.tid = 777;
  c.signal = 11;
  c.message =
      "unexpected signal during goroutine execution\n[signal SIGSEGV: segmentation violation code=1 addr=0x0 "
      "pc=0x401000]";
  c.stack = {frame("poke(int*)", "/src/app.cc", 3, 0x4)};
  s.crash = c;
  s.goroutines = {waiting(1, WaitReason::kSleep, 0)};
  EXPECT_EQ(format_dump(s, kPlain),
            "unexpected signal during goroutine execution\n"
            "[signal SIGSEGV: segmentation violation code=1 addr=0x0 pc=0x401000]\n\n"
            "thread 777 [running]:\npoke(int*)\n\t/src/app.cc:3 +0x4\n\n"
            "goroutine 1 [sleep]:\n\t(stack unavailable)\n");
}

TEST(CrashDump, CrashWithoutAMessageGetsAStandIn) {
  Snapshot s;
  s.crash = Crash{};
  s.crash->signal = 7;
  EXPECT_EQ(format_dump(s, kPlain).rfind("fatal error: signal 7\n\nthread 0 [running]:\n", 0), 0u);
}

// --- Grouping -------------------------------------------------------------------------

TEST(GroupedDump, IdenticalGoroutinesShareOneBucket) {
  std::string out = format_dump(of({consumer(2, 0), consumer(3, 0), consumer(4, 0)}), kGroup);
  EXPECT_EQ(out,
            "3 goroutines [chan receive]:\n"
            "gleak::Chan<Order>::recv()\n\tinclude/gleak/chan.h:212 +0x5c\n"
            "consume(gleak::Chan<Order>&)\n\t/src/orders/consume.cc:31 +0x47\n"
            "created by start_consumers(gleak::Chan<Order>&, int) in goroutine 1\n\t/src/orders/consume.cc:54 +0x8e\n"
            "goroutines: 2 3 4\n");
}

TEST(GroupedDump, DifferentCreationSitesAreSeparateBuckets) {
  Snapshot s = of({consumer(2, 0), consumer(3, 0, /*from_main=*/true), consumer(4, 0)});
  std::vector<Bucket> b = group_goroutines(s, kGroup);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_EQ(b[0].members.size(), 2u);
  EXPECT_EQ(b[0].members[0]->id, 2u);
  EXPECT_EQ(b[0].members[1]->id, 4u);
  ASSERT_EQ(b[1].members.size(), 1u);
  EXPECT_EQ(b[1].members[0]->id, 3u);
}

TEST(GroupedDump, DifferentWaitReasonsAreSeparateBuckets) {
  Goroutine other = consumer(3, 0);
  other.wait_reason = WaitReason::kSelect;
  EXPECT_EQ(bucket_count({consumer(2, 0), other}, kGroup), 2u);
}

TEST(GroupedDump, DifferentLinesAreSeparateBuckets) {
  Goroutine other = consumer(3, 0);
  std::vector<Frame> frames = other.stack.frames();
  frames.back().line = 32;
  other.stack = frames;
  EXPECT_EQ(bucket_count({consumer(2, 0), other}, kGroup), 2u);
}

TEST(GroupedDump, DifferentParentsOfOneCreationSiteShareABucketAndAreListed) {
  Goroutine other = consumer(3, 0);
  other.parent_id = 5;
  std::string out = format_dump(of({consumer(2, 0), other}), kGroup);
  EXPECT_NE(out.find("created by start_consumers(gleak::Chan<Order>&, int) in goroutines 1 5\n"), std::string::npos)
      << out;
}

TEST(GroupedDump, HiddenRuntimeFramesDoNotSplitBuckets) {
  Goroutine other = consumer(3, 0);
  std::vector<Frame> frames = other.stack.frames();
  frames[0].function = "gleak::internal::park_slow()";
  other.stack = frames;
  EXPECT_EQ(bucket_count({consumer(2, 0), other}, kGroup), 1u);
  EXPECT_EQ(bucket_count({consumer(2, 0), other}, TextOptions{.group = true, .all_frames = true}), 2u);
}

TEST(GroupedDump, TornRecordsAreNotGroupedWithWholeOnes) {
  Goroutine other = consumer(3, 0);
  other.torn = true;
  EXPECT_EQ(bucket_count({consumer(2, 0), other}, kGroup), 2u);
}

TEST(GroupedDump, BucketsAreOrderedLargestFirstThenByLowestId) {
  Snapshot s = of({producer(1, 0), consumer(2, 0, true), consumer(3, 0), consumer(4, 0), producer(5, 0)});
  std::vector<Bucket> b = group_goroutines(s, kGroup);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].members.size(), 2u);  // producers 1 and 5 tie with consumers 3 and 4
  EXPECT_EQ(b[0].members[0]->id, 1u);
  EXPECT_EQ(b[1].members[0]->id, 3u);
  EXPECT_EQ(b[2].members[0]->id, 2u);
}

TEST(GroupedDump, BucketShowsTheRangeOfMinutes) {
  std::string out = format_dump(of({consumer(2, 61 * kSec), consumer(3, 3 * kMin + 5 * kSec)}), kGroup);
  EXPECT_EQ(out.rfind("2 goroutines [chan receive, 1~3 minutes]:\n", 0), 0u) << out;
}

TEST(GroupedDump, BucketRangeStartsAtZeroWhenSomeWaitedUnderAMinute) {
  std::string out = format_dump(of({consumer(2, 10 * kSec), consumer(3, 3 * kMin)}), kGroup);
  EXPECT_EQ(out.rfind("2 goroutines [chan receive, 0~3 minutes]:\n", 0), 0u) << out;
}

TEST(GroupedDump, BucketShowsOneValueWhenAllMinutesAgree) {
  std::string out = format_dump(of({consumer(2, 2 * kMin), consumer(3, 2 * kMin + 30 * kSec)}), kGroup);
  EXPECT_EQ(out.rfind("2 goroutines [chan receive, 2 minutes]:\n", 0), 0u) << out;
}

TEST(GroupedDump, BucketOmitsTheDurationWhenAllWaitedUnderAMinute) {
  std::string out = format_dump(of({consumer(2, 10 * kSec), consumer(3, 59 * kSec)}), kGroup);
  EXPECT_EQ(out.rfind("2 goroutines [chan receive]:\n", 0), 0u) << out;
}

TEST(GroupedDump, ExactBucketShowsTheRangeOfExactDurations) {
  std::string out = format_dump(of({consumer(2, 2 * kMin + 13'400 * kMs), consumer(3, 850 * kMs)}), kGroupExact);
  EXPECT_EQ(out.rfind("2 goroutines [chan receive, 850ms~2m13.4s]:\n", 0), 0u) << out;
}

TEST(GroupedDump, BucketOfOnePrintsAsTheGoroutineWouldUngrouped) {
  Snapshot s = of({consumer(2, 3 * kMin)});
  EXPECT_EQ(format_dump(s, kGroup), format_dump(s, kPlain));
}

TEST(GroupedDump, BucketListsAllIdsUpToTen) {
  std::vector<Goroutine> gs;
  for (uint64_t id = 1; id <= 10; ++id) gs.push_back(consumer(id, 0));
  EXPECT_NE(format_dump(of(gs), kGroup).find("\ngoroutines: 1 2 3 4 5 6 7 8 9 10\n"), std::string::npos);
}

TEST(GroupedDump, BucketElidesIdsPastTen) {
  std::vector<Goroutine> gs;
  for (uint64_t id = 1; id <= 13; ++id) gs.push_back(consumer(id, 0));
  EXPECT_NE(format_dump(of(gs), kGroup).find("\ngoroutines: 1 2 3 4 5 6 7 8 9 10 ... (3 more)\n"), std::string::npos);
}

TEST(GroupedDump, CrashedGoroutineIsNeverGroupedAndComesFirst) {
  Snapshot s = crashed_snapshot();
  // Goroutine 5 looks exactly like the crashed goroutine 3 would, crash aside.
  Goroutine twin = s.goroutines[2];
  twin.id = 5;
  twin.crashed = false;
  twin.stack = s.crash->stack;
  twin.stack_note.clear();
  s.goroutines.push_back(twin);
  std::vector<Bucket> b = group_goroutines(s, kGroup);
  ASSERT_EQ(b.size(), 4u);  // 3 (crashed), 2+4 (consumers), 1, 5
  EXPECT_TRUE(b[0].crashed);
  ASSERT_EQ(b[0].members.size(), 1u);
  EXPECT_EQ(b[0].members[0]->id, 3u);
  EXPECT_EQ(b[1].members.size(), 2u);
  EXPECT_EQ(b[3].members[0]->id, 5u);
}

// --- Goldens --------------------------------------------------------------------------

TEST(Golden, PlainDumpMatchesGolden) {
  expect_golden("dump_plain.txt", format_dump(representative_snapshot(), kPlain));
}

TEST(Golden, ExactDumpMatchesGolden) {
  expect_golden("dump_exact.txt", format_dump(representative_snapshot(), kExact));
}

TEST(Golden, GroupedDumpMatchesGolden) {
  expect_golden("dump_grouped.txt", format_dump(representative_snapshot(), kGroup));
}

TEST(Golden, GroupedExactDumpMatchesGolden) {
  expect_golden("dump_grouped_exact.txt", format_dump(representative_snapshot(), kGroupExact));
}

TEST(Golden, CrashDumpMatchesGolden) { expect_golden("crash_plain.txt", format_dump(crashed_snapshot(), kPlain)); }

TEST(Golden, GroupedCrashDumpMatchesGolden) {
  expect_golden("crash_grouped.txt", format_dump(crashed_snapshot(), kGroup));
}

}  // namespace
}  // namespace gleak::inspector
