// tests/inspector/testdata/report_fixtures.h — snapshots built by hand for the report
// tests, and the golden-file check. Shared by report_text_test.cc and
// report_json_test.cc so that the text and JSON goldens describe the same processes.
//
// Golden files: expect_golden(name, actual) compares actual with testdata/<name>. The
// file must exist and be non-empty, and so must actual, so a missing or truncated
// golden fails instead of passing. Run the tests with GLEAK_UPDATE_GOLDEN=1 to rewrite
// the goldens from the current output (then review the diff):
//
//   GLEAK_UPDATE_GOLDEN=1 ctest --test-dir build -L inspector -R Golden
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "inspector/snapshot.h"

#ifndef GLEAK_TESTDATA
#error "GLEAK_TESTDATA must name the testdata directory"
#endif

namespace gleak::inspector::fixtures {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1000 * kMs;
constexpr int64_t kMin = 60 * kSec;

// frame() is a frame with line information; offset 0 makes it an inlined frame.
inline Frame frame(std::string function, std::string file, int line, uint64_t offset, uint64_t pc = 0x401000) {
  Frame f;
  f.pc = pc;
  f.function = std::move(function);
  f.file = std::move(file);
  f.line = line;
  f.offset = offset;
  f.module = "/srv/orders/bin/orders";
  return f;
}

// runtime_frame() is a frame of gleak's own machinery.
inline Frame runtime_frame(std::string function, std::string file, int line, uint64_t offset) {
  Frame f = frame(std::move(function), std::move(file), line, offset, 0x402000);
  f.runtime = true;
  return f;
}

inline Goroutine goroutine(uint64_t id, GoroutineState state, WaitReason reason = WaitReason::kNone,
                           int64_t wait_ns = -1) {
  Goroutine g;
  g.id = id;
  g.state = state;
  g.wait_reason = reason;
  g.wait_ns = wait_ns;
  return g;
}

inline Goroutine waiting(uint64_t id, WaitReason reason, int64_t wait_ns) {
  return goroutine(id, GoroutineState::kWaiting, reason, wait_ns);
}

// A consumer blocked in Chan::recv(), created at one of two sites.
inline Goroutine consumer(uint64_t id, int64_t wait_ns, bool from_main = false) {
  Goroutine g = waiting(id, WaitReason::kChanReceive, wait_ns);
  g.parent_id = 1;
  g.stack = {
      runtime_frame("gleak::internal::park(gleak::arena::WaitReason, void const*)", "core/scheduler.cc", 412, 0x9b),
      frame("gleak::Chan<Order>::recv()", "include/gleak/chan.h", 212, 0x5c),
      frame("consume(gleak::Chan<Order>&)", "/src/orders/consume.cc", 31, 0x47)};
  g.created_by = from_main ? frame("main", "/src/orders/main.cc", 71, 0x9c)
                           : frame("start_consumers(gleak::Chan<Order>&, int)", "/src/orders/consume.cc", 54, 0x8e);
  return g;
}

// A producer blocked in Chan::send() on a full channel.
inline Goroutine producer(uint64_t id, int64_t wait_ns) {
  Goroutine g = waiting(id, WaitReason::kChanSend, wait_ns);
  g.parent_id = 1;
  g.stack = {
      runtime_frame("gleak::internal::park(gleak::arena::WaitReason, void const*)", "core/scheduler.cc", 412, 0x9b),
      frame("gleak::Chan<Order>::send(Order)", "include/gleak/chan.h", 180, 0x61),
      frame("produce(gleak::Chan<Order>&, int)", "/src/orders/produce.cc", 19, 0x33)};
  g.created_by = frame("main", "/src/orders/main.cc", 68, 0x7d);
  return g;
}

// representative_snapshot() is a live process that shows every rule of the text dump:
// each status, minute and exact durations, hidden runtime frames, inlined frames,
// frames without line information, missing and partial stacks, a torn record,
// goroutines that group and one that does not, and a dead goroutine that is not shown.
inline Snapshot representative_snapshot() {
  Snapshot s;
  s.source = Source::kLiveProcess;
  s.pid = 4242;
  s.exe = "/srv/orders/bin/orders";
  s.cmdline = "orders --port 8080";
  s.arena_path = "/dev/shm/gleak-1000/4242.arena";
  s.state = ProcessState::kRunning;
  s.procs = 4;
  s.start_realtime_ns = 1'767'225'600'000'000'000;
  s.taken_monotonic_ns = 9'000 * kSec;
  s.stopped_ns = 1'250'000;
  s.consistent = true;

  Goroutine main_g = waiting(1, WaitReason::kWaitGroupWait, 3 * 60 * kMin + 4 * kMin + 5'670 * kMs);
  main_g.stack = {
      runtime_frame("gleak::internal::park(gleak::arena::WaitReason, void const*)", "core/scheduler.cc", 412, 0x9b),
      frame("gleak::WaitGroup::wait()", "core/sync.cc", 141, 0x52), frame("main", "/src/orders/main.cc", 88, 0x1a4)};
  main_g.wait_object = 0x7ffd5e3c2a10;
  main_g.age_ns = 9'000 * kSec;
  s.goroutines.push_back(main_g);

  s.goroutines.push_back(consumer(2, 61 * kSec));
  s.goroutines.push_back(consumer(3, 2 * kMin + 13'400 * kMs));
  s.goroutines.push_back(consumer(4, 30 * kSec));
  s.goroutines.push_back(consumer(5, 12 * kMin, /*from_main=*/true));

  Goroutine locker = waiting(6, WaitReason::kMutexLock, 45'250 * kMs);
  locker.parent_id = 1;
  locker.stack = {
      runtime_frame("gleak::internal::park(gleak::arena::WaitReason, void const*)", "core/scheduler.cc", 412, 0x9b),
      frame("gleak::Mutex::lock()", "core/sync.cc", 77, 0x88),
      frame("Ledger::add(Order const&)", "/src/orders/ledger.h", 25, 0),
      frame("record(Ledger&, Order)", "/src/orders/ledger.cc", 12, 0x2d)};
  locker.created_by = frame("main", "/src/orders/main.cc", 75, 0xb0);
  s.goroutines.push_back(locker);

  s.goroutines.push_back(producer(7, 3 * 60 * kMin));

  Goroutine running = goroutine(8, GoroutineState::kRunning);
  running.worker = 2;
  running.parent_id = 1;
  running.stack_note = "running on worker 2";
  running.created_by = frame("main", "/src/orders/main.cc", 79, 0xc4);
  s.goroutines.push_back(running);

  Goroutine runnable = goroutine(9, GoroutineState::kRunnable);
  runnable.parent_id = 1;
  runnable.unparked_by = 8;
  runnable.stack = {frame("handle(Request)", "/src/orders/http.cc", 140, 0x12)};
  runnable.created_by = frame("serve(int)", "/src/orders/http.cc", 97, 0x3e);
  s.goroutines.push_back(runnable);

  Goroutine syscall = goroutine(10, GoroutineState::kSyscall, WaitReason::kNone, 95 * kSec);
  syscall.parent_id = 1;
  syscall.stack = {frame("read_socket(int)", "/src/orders/net.cc", 22, 0x40),
                   frame("serve(int)", "/src/orders/http.cc", 90, 0x2b)};
  syscall.created_by = frame("main", "/src/orders/main.cc", 82, 0xd8);
  s.goroutines.push_back(syscall);

  Goroutine torn = waiting(11, WaitReason::kSelectNoCases, 5 * kMs);
  torn.torn = true;
  torn.parent_id = 1;
  torn.create_pc = 0x55d0c0de1234;
  Frame no_lines;
  no_lines.pc = 0x7f3a00001020;
  no_lines.function = "foo_callback";
  no_lines.module = "/usr/lib/libfoo.so.1";
  no_lines.offset = 0x20;
  Frame unknown;
  unknown.pc = 0x7f3a12345678;
  torn.stack = {frame("idle_forever()", "/src/orders/main.cc", 60, 0x15), no_lines, unknown};
  s.goroutines.push_back(torn);

  Goroutine sleeper = waiting(12, WaitReason::kSleep, 850 * kMs);
  sleeper.parent_id = 9;
  sleeper.stack = {frame("backoff(int)", "/src/orders/retry.cc", 8, 0x21)};
  sleeper.stack_note = "truncated at 64 frames";
  sleeper.created_by = frame("handle(Request)", "/src/orders/http.cc", 151, 0x77);
  s.goroutines.push_back(sleeper);

  Goroutine dead = goroutine(13, GoroutineState::kDead);
  dead.parent_id = 1;
  s.goroutines.push_back(dead);

  Goroutine nil_chan = waiting(14, WaitReason::kChanReceiveNil, 5 * kMin);
  nil_chan.parent_id = 1;
  nil_chan.stack = {
      runtime_frame("gleak::internal::park(gleak::arena::WaitReason, void const*)", "core/scheduler.cc", 412, 0x9b),
      runtime_frame("gleak::Chan<int>::recv()", "include/gleak/chan.h", 230, 0x18)};
  nil_chan.created_by = frame("main", "/src/orders/main.cc", 84, 0xe2);
  s.goroutines.push_back(nil_chan);

  s.goroutines.push_back(producer(15, 90 * kSec));

  Object chan;
  chan.id = 1;
  chan.kind = ObjectKind::kChannel;
  chan.address = 0x7f3a0c001000;
  chan.creator = 1;
  chan.create_pc = 0x401a10;
  chan.created_at = frame("main", "/src/orders/main.cc", 64, 0x3a);
  chan.word0 = 16;
  chan.word1 = 16;
  s.objects.push_back(chan);
  Object mutex;
  mutex.id = 2;
  mutex.kind = ObjectKind::kMutex;
  mutex.address = 0x7f3a0c002000;
  mutex.creator = 1;
  mutex.word0 = 8;
  s.objects.push_back(mutex);
  Object done;
  done.id = 3;
  done.kind = ObjectKind::kContext;
  done.address = 0x7f3a0c003000;
  done.flags = arena::kObjectClosed;
  s.objects.push_back(done);

  s.events = {
      {8'990 * kSec, 0, arena::EventKind::kSpawn, 2, 1, 0},
      {8'991 * kSec, 0, arena::EventKind::kPark, 2, 0x7f3a0c001000, static_cast<uint32_t>(WaitReason::kChanReceive)},
      {8'992 * kSec, 1, arena::EventKind::kUnpark, 9, 8, 0},
      {8'993 * kSec, -1, arena::EventKind::kRecover, 9, 0x401c2e, 0},
      {8'994 * kSec, 3, arena::EventKind::kExit, 13, 0, 0},
  };
  s.events_lost = 12;
  s.warnings = {"goroutine 11: record kept changing; shown as last read"};
  return s;
}

// crashed_snapshot() is a process that died of a panic on goroutine 3, read from the
// arena file it left: the crashed goroutine's own stack is gone, the crash record's is
// not.
inline Snapshot crashed_snapshot() {
  Snapshot s;
  s.source = Source::kDeadProcess;
  s.pid = 5151;
  s.exe = "/srv/orders/bin/orders";
  s.cmdline = "orders --once";
  s.arena_path = "/dev/shm/gleak-1000/5151.arena";
  s.state = ProcessState::kCrashed;
  s.procs = 2;
  s.consistent = true;

  Crash c;
  c.goroutine = 3;
  c.tid = 5153;
  c.message = "panic: order 17 has no customer [std::runtime_error]";
  c.exception_type = "std::runtime_error";
  c.stack = {frame("check(Order const&)", "/src/orders/check.cc", 14, 0x5a),
             frame("consume(gleak::Chan<Order>&)", "/src/orders/consume.cc", 33, 0x61),
             runtime_frame("gleak::internal::(anonymous namespace)::g_entry(boost::context::detail::transfer_t)",
                           "core/scheduler.cc", 230, 0x44)};
  c.time_ns = 77 * kSec;
  s.crash = c;

  Goroutine main_g = waiting(1, WaitReason::kWaitGroupWait, 2 * kMin);
  main_g.stack = {frame("main", "/src/orders/main.cc", 88, 0x1a4)};
  s.goroutines.push_back(main_g);
  s.goroutines.push_back(consumer(2, 20 * kSec));
  Goroutine crashed = goroutine(3, GoroutineState::kRunning);
  crashed.crashed = true;
  crashed.parent_id = 1;
  crashed.worker = 0;
  crashed.stack_note = "running when the process died";
  crashed.created_by = frame("start_consumers(gleak::Chan<Order>&, int)", "/src/orders/consume.cc", 54, 0x8e);
  s.goroutines.push_back(crashed);
  s.goroutines.push_back(consumer(4, 20 * kSec));
  return s;
}

// expect_golden() checks actual against testdata/<name>, or rewrites that file when
// GLEAK_UPDATE_GOLDEN=1.
inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(GLEAK_TESTDATA) + "/" + name;
  ASSERT_FALSE(actual.empty()) << "refusing to compare empty output with " << path;
  const char* update = std::getenv("GLEAK_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "could not write " << path;
    std::cerr << "rewrote " << path << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.is_open()) << path << " is missing; run with GLEAK_UPDATE_GOLDEN=1 to create it";
  std::stringstream expected;
  expected << in.rdbuf();
  ASSERT_FALSE(expected.str().empty()) << path << " is empty";
  EXPECT_EQ(actual, expected.str()) << "output differs from " << path
                                    << "; if the change is intended, rerun with GLEAK_UPDATE_GOLDEN=1";
}

}  // namespace gleak::inspector::fixtures
