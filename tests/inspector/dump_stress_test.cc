// `gleak dump` a thousand times in a row against a busy target with 10,000 goroutines:
// after each read the target runs (no thread left stopped) and its work goes on (a
// tick printed after the read shows more work done than the one before).
#include <dirent.h>
#include <gtest/gtest.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "tests/child_process.h"

namespace {

using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;
using gleak::testing_support::stopped_threads;

int64_t mono_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

TEST(DumpStress, AThousandDumpsOfABusyTargetLeaveItRunningAndWorking) {
  ArenaDir dir;
  Child target({GLEAK_PARKED, "10000", "busy"});
  ASSERT_TRUE(target.wait_for("ready"));
  std::string dump = std::string(GLEAK_CLI) + " dump " + std::to_string(target.pid()) + " > /dev/null 2>&1";
  long last_work = -1;
  for (int i = 0; i < 1000; ++i) {
    std::string out;
    ASSERT_EQ(run_command(dump, &out), 0) << "dump " << i;
    int64_t read_at = mono_ns();
    ASSERT_EQ(stopped_threads(target.pid()), 0) << "dump " << i;
    // A tick from after the read, with more work done than any before it.
    for (;;) {
      std::string line = target.line();
      ASSERT_FALSE(line.empty()) << "the target ended after dump " << i;
      long long at = 0;
      long work = 0;
      if (std::sscanf(line.c_str(), "tick %lld %ld", &at, &work) != 2) continue;
      if (at < read_at) continue;
      ASSERT_GT(work, last_work) << "no work done after dump " << i;
      last_work = work;
      break;
    }
  }
}

}  // namespace
