// The frozen copy the leak analysis reads (inspector/read/fork_copy.cc): the program
// never sees it — no SIGCHLD, nothing for its wait() — it leaves no process behind,
// it finds what a stopped read finds, and a reader killed at any point leaves neither
// the target stopped nor a copy behind.
#include "inspector/read/fork_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inspector/analyse/leaks.h"
#include "inspector/read/arena_file.h"
#include "inspector/read/memory.h"
#include "inspector/read/memory_image.h"
#include "inspector/read/reader.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::start_killed_reader;
using gleak::testing_support::stopped_threads;

// children_of() lists the processes whose parent is pid, with their state letter.
std::vector<std::pair<pid_t, char>> children_of(pid_t pid) {
  std::vector<std::pair<pid_t, char>> out;
  DIR* d = opendir("/proc");
  while (dirent* e = d ? readdir(d) : nullptr) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::ifstream f(std::string("/proc/") + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) out.emplace_back(std::atoi(e->d_name), state);
  }
  if (d) closedir(d);
  return out;
}

// next_tick() is the SIGCHLD count and the reaped count of the target's next tick line.
std::pair<int, long> next_tick(Child& c) {
  for (std::string l = c.line(); !l.empty(); l = c.line()) {
    int sig = -1;
    long reaped = -1;
    if (std::sscanf(l.c_str(), "tick %d %ld", &sig, &reaped) == 2) return {sig, reaped};
  }
  return {-1, -1};
}

std::set<uint64_t> leaked_ids(const gi::Snapshot& s) {
  std::set<uint64_t> ids;
  gi::LeakAnalysis a = gi::find_leaks(s);
  for (const gi::LeakVerdict& l : a.findings) {
    if (l.certainty == gi::Certainty::kProven) ids.insert(l.goroutine);
  }
  return ids;
}

TEST(ForkCopy, TheProgramNeverSeesTheCopyAndNoneIsLeftBehind) {
  ArenaDir dir;
  Child target({GLEAK_REAPER});
  ASSERT_TRUE(target.wait_for("ready"));
  gi::ReadOptions opt;
  opt.memory = true;
  for (int round = 0; round < 10; ++round) {
    gi::Snapshot s = gi::read_pid(target.pid(), opt);
    ASSERT_TRUE(s.consistent) << "round " << round;
    EXPECT_TRUE(s.memory_from_copy) << "round " << round;
    EXPECT_EQ(leaked_ids(s).size(), 1u) << "round " << round;
    for (const std::string& w : s.warnings) ADD_FAILURE() << "round " << round << ": " << w;
    EXPECT_TRUE(children_of(target.pid()).empty()) << "round " << round;
    EXPECT_EQ(stopped_threads(target.pid()), 0) << "round " << round;
  }
  // Its ticks go on, and it never had a SIGCHLD or a child to reap.
  auto [sigchld, reaped] = next_tick(target);
  EXPECT_EQ(sigchld, 0);
  EXPECT_EQ(reaped, 0);
}

TEST(ForkCopy, FindsWhatAStoppedReadFinds) {
  ArenaDir dir;
  Child target({GLEAK_REAPER});
  ASSERT_TRUE(target.wait_for("ready"));
  gi::ReadOptions forked, stopped;
  forked.memory = stopped.memory = true;
  stopped.fork_copy = false;
  gi::Snapshot a = gi::read_pid(target.pid(), forked);
  gi::Snapshot b = gi::read_pid(target.pid(), stopped);
  EXPECT_TRUE(a.memory_from_copy);
  EXPECT_FALSE(b.memory_from_copy);
  std::set<uint64_t> la = leaked_ids(a), lb = leaked_ids(b);
  EXPECT_EQ(la, lb);
  EXPECT_EQ(la.size(), 1u);
  ASSERT_TRUE(a.memory && b.memory);
  EXPECT_TRUE(a.memory->unreadable.empty());
}

// A reader killed at any point of `gleak leaks`: the target is never left stopped,
// and a copy it asked for ends by itself and is reaped.
TEST(ForkCopy, AReaderKilledAtAnyPointLeavesNothingBehind) {
  ArenaDir dir;
  Child target({GLEAK_REAPER});
  ASSERT_TRUE(target.wait_for("ready"));
  std::mt19937 rng(2026);
  for (int round = 0; round < 40; ++round) {
    ASSERT_GT(start_killed_reader(GLEAK_CLI, target.pid(), rng() % 20000), 0);  // a random point of the read
    ASSERT_EQ(stopped_threads(target.pid()), 0) << "round " << round;
  }
  // Every copy sees its reader gone and ends within 50 ms; the helper reaps it.
  for (int poll = 0; poll < 500 && !children_of(target.pid()).empty(); ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(children_of(target.pid()).empty());
  auto [sigchld, reaped] = next_tick(target);
  EXPECT_EQ(sigchld, 0);
  EXPECT_EQ(reaped, 0);
}

}  // namespace
