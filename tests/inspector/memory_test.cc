// Stopping a process to read it (inspector/read/memory.cc): the target is never left
// stopped — not when two readers race, not when another tracer holds it, not when the
// reader is killed in the middle — and its own work goes on after each read.
#include "inspector/read/memory.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "inspector/errors.h"
#include "tests/child_process.h"

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;
using gleak::testing_support::start_killed_reader;
using gleak::testing_support::stopped_threads;

// tick_after() reads the target's output until a tick line comes: its work goes on.
bool ticks(Child& c) { return c.wait_for("tick"); }

TEST(StopTheWorld, TwoReadersAtOnceNeverLeaveTheTargetStopped) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "2000"});
  ASSERT_TRUE(target.wait_for("ready"));
  std::string dump = std::string(GLEAK_CLI) + " dump --json " + std::to_string(target.pid());
  for (int round = 0; round < 20; ++round) {
    std::string out;
    // Both at once: they take turns (the arena's lock), so each stops the process and
    // reads it consistently, and each exits 0.
    std::string a = dir.path() + "/a.json", b = dir.path() + "/b.json";
    ASSERT_EQ(run_command("(" + dump + " > " + a + " & " + dump + " > " + b + " & wait %1 && wait %2) 2>&1", &out), 0)
        << out;
    for (const std::string& f : {a, b}) {
      std::ifstream in(f);
      std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_NE(json.find("\"consistent\": true"), std::string::npos) << "round " << round << ": " << out;
    }
    ASSERT_EQ(stopped_threads(target.pid()), 0) << "round " << round;
  }
  EXPECT_TRUE(ticks(target));
}

// Another tracer (a debugger) holds a thread: the dump says who, reads the process
// while it runs, and leaves nothing stopped.
TEST(StopTheWorld, ATargetTracedByADebuggerIsReadWhileItRunsAndSaysWho) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "100"});
  ASSERT_TRUE(target.wait_for("ready"));
  ASSERT_EQ(ptrace(PTRACE_SEIZE, target.pid(), nullptr, nullptr), 0) << "cannot trace the target";
  std::string out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " dump " + std::to_string(target.pid()) + " 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("being traced by pid " + std::to_string(getpid())), std::string::npos) << out;
  EXPECT_NE(out.find("reading it while it runs"), std::string::npos) << out;
  EXPECT_EQ(stopped_threads(target.pid()), 0);
  // Let go of it as a debugger does: stop, wait, detach.
  ASSERT_EQ(ptrace(PTRACE_INTERRUPT, target.pid(), nullptr, nullptr), 0);
  ASSERT_EQ(waitpid(target.pid(), nullptr, __WALL), target.pid());
  ASSERT_EQ(ptrace(PTRACE_DETACH, target.pid(), nullptr, nullptr), 0);
  EXPECT_TRUE(ticks(target));
}

// A reader killed at any point (the kernel lets go of a dead tracer's tracees) never
// leaves the target stopped.
TEST(StopTheWorld, AReaderKilledMidReadNeverLeavesTheTargetStopped) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "20000"});
  ASSERT_TRUE(target.wait_for("ready"));
  std::mt19937 rng(12345);
  for (int round = 0; round < 100; ++round) {
    ASSERT_GT(start_killed_reader(GLEAK_CLI, target.pid(), rng() % 60000), 0);  // a random point of the read
    ASSERT_EQ(stopped_threads(target.pid()), 0) << "round " << round;
  }
  EXPECT_TRUE(ticks(target));
}

}  // namespace
