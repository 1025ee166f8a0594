// `gleak leaks` end to end: exit status, text and JSON, on a leaking case and on a
// look-alike that does not leak, and what happens when the target is not stopped.
#include <gtest/gtest.h>

#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "inspector/read/reader.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;

namespace {

// A case, started and in place: goroutine 1 blocked in its signal wait.
class Case {
 public:
  explicit Case(const std::string& name) : child_({std::string(GLEAK_LEAK_CASES_BIN) + "/leak_case_" + name}) {
    ready_ = child_.wait_for("ready");
    gi::ReadOptions quick;
    quick.symbolize = quick.stacks = quick.events = quick.objects = false;
    quick.consistent = false;
    for (int i = 0; ready_ && i < 10000; ++i) {
      gi::Snapshot s = gi::read_pid(child_.pid(), quick);
      const gi::Goroutine* g1 = s.goroutine(1);
      if (g1 && g1->state == gleak::arena::GoroutineState::kSyscall) return;
      usleep(1000);
    }
    ready_ = false;
  }
  bool ready() const { return ready_; }
  std::string pid() const { return std::to_string(child_.pid()); }

 private:
  Child child_;
  bool ready_ = false;
};

int leaks(const std::string& args, std::string* out) {
  return run_command(std::string(GLEAK_CLI) + " leaks " + args + " 2>/dev/null", out);
}

TEST(GleakLeaks, ExitsOneAndPrintsTheProofWhenALeakIsProven) {
  ArenaDir dir;
  Case c("leak_early_return_send");
  ASSERT_TRUE(c.ready());
  std::string out;
  int status = leaks(c.pid(), &out);
  for (int i = 0; i < 2 && status == 0; ++i) status = leaks(c.pid(), &out);  // see corpus_test.cc
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("leaked (no-exit-path):"), std::string::npos) << out;
  EXPECT_NE(out.find("[chan send (leaked)"), std::string::npos) << out;
  EXPECT_NE(out.find("  why: nothing that can still run refers to"), std::string::npos) << out;
  EXPECT_NE(out.find("  waits on: chan "), std::string::npos) << out;
}

TEST(GleakLeaks, JsonNamesTheLeakedGoroutineAndItsObject) {
  ArenaDir dir;
  Case c("leak_early_return_send");
  ASSERT_TRUE(c.ready());
  std::string out;
  int status = leaks("--json " + c.pid(), &out);
  for (int i = 0; i < 2 && status == 0; ++i) status = leaks("--json " + c.pid(), &out);
  EXPECT_EQ(status, 1);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["schema"], "gleak.leaks");
  EXPECT_EQ(j["version"], 1);
  EXPECT_TRUE(j["memory_analysed"].get<bool>());
  ASSERT_EQ(j["proven"], 1) << out;
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["certainty"], "proven");
  EXPECT_EQ(f["check"], "no-exit-path");
  EXPECT_EQ(f["wait_reason"], "chan send");
  EXPECT_NE(f["function"].get<std::string>().find("report_stream_done"), std::string::npos) << out;
  ASSERT_EQ(f["waits"].size(), 1u);
  EXPECT_EQ(f["waits"][0]["kind"], "chan");
  EXPECT_FALSE(f["waits"][0]["reachable"].get<bool>());
}

TEST(GleakDump, MarksProvenLeaksWhenAskedTo) {
  ArenaDir dir;
  Case c("leak_early_return_send");
  ASSERT_TRUE(c.ready());
  std::string out;
  ASSERT_EQ(run_command(std::string(GLEAK_CLI) + " dump " + c.pid() + " 2>/dev/null", &out), 0);
  EXPECT_EQ(out.find("(leaked)"), std::string::npos) << out;
  EXPECT_NE(out.find("[chan send"), std::string::npos) << out;
  bool marked = false;
  for (int i = 0; i < 3 && !marked; ++i) {  // see corpus_test.cc
    ASSERT_EQ(run_command(std::string(GLEAK_CLI) + " dump --leaks " + c.pid() + " 2>/dev/null", &out), 0);
    marked = out.find("[chan send (leaked)") != std::string::npos;
  }
  EXPECT_TRUE(marked) << out;
}

TEST(GleakLeaks, ExitsZeroWhenNothingLeaks) {
  ArenaDir dir;
  Case c("ok_global_chan");
  ASSERT_TRUE(c.ready());
  std::string out;
  EXPECT_EQ(leaks(c.pid(), &out), 0) << out;
  EXPECT_NE(out.find("# 0 goroutines leaked (proven)"), std::string::npos) << out;
}

TEST(GleakLeaks, ATargetThatRanWhileItWasReadGivesOnlySuspectedFindings) {
  ArenaDir dir;
  Case c("leak_early_return_send");
  ASSERT_TRUE(c.ready());
  std::string out;
  EXPECT_EQ(leaks("--json --no-consistent " + c.pid(), &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_FALSE(j["complete"].get<bool>());
  EXPECT_EQ(j["proven"], 0);
}

TEST(GleakLeaks, WhyNamesTheRootThatKeepsABlockedGoroutineAlive) {
  ArenaDir dir;
  Case c("ok_global_chan");
  ASSERT_TRUE(c.ready());
  // serve_requests is goroutine 2: its channel is a global of the program.
  std::string out;
  EXPECT_EQ(leaks(c.pid() + " --why 2", &out), 0) << out;
  EXPECT_NE(out.find("# why goroutine 2: goroutine 2 [chan receive] is not leaked"), std::string::npos) << out;
  EXPECT_NE(out.find("  a global of leak_case_ok_global_chan, at 0x"), std::string::npos) << out;
  EXPECT_NE(out.find("  -> it waits on 0x"), std::string::npos) << out;
  std::string js;
  EXPECT_EQ(leaks(c.pid() + " --why 2 --json", &js), 0) << js;
  auto j = nlohmann::json::parse(js);
  EXPECT_EQ(j["schema"], "gleak.why");
  EXPECT_EQ(j["goroutine"], 2);
  EXPECT_EQ(j["leaked"], false);
  ASSERT_GE(j["path"].size(), 2u);
  EXPECT_NE(j["path"][0]["what"].get<std::string>().find("a global of"), std::string::npos) << js;
}

TEST(GleakLeaks, WhySaysWhenTheGoroutineIsLeaked) {
  ArenaDir dir;
  Case c("leak_early_return_send");
  ASSERT_TRUE(c.ready());
  std::string out;
  int status = leaks(c.pid() + " --why 2", &out);
  for (int i = 0; i < 2 && status == 0; ++i) status = leaks(c.pid() + " --why 2", &out);  // see corpus_test.cc
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("goroutine 2 is leaked: nothing that can still run refers to what it waits on"), std::string::npos)
      << out;
}

TEST(GleakLeaks, ABadDurationIsAUsageError) {
  std::string out;
  EXPECT_EQ(leaks("--suspect-after soon 1", &out), 2);
}

}  // namespace

#ifdef GLEAK_LEAKY_SERVICE
namespace {

// The demo's service: it keeps serving while five of its goroutines have leaked; its
// pool workers are blocked but not leaked.
TEST(GleakLeaks, ProvesEveryLeakOfAServiceThatKeepsServing) {
  ArenaDir dir;
  Child c({GLEAK_LEAKY_SERVICE});
  ASSERT_TRUE(c.wait_for("serving"));
  std::string pid = std::to_string(c.pid());
  // The price lookups block once their backend answers (50 ms after their timeout):
  // read until all five leaks are proven, for at most ~5 s.
  nlohmann::json j;
  for (int i = 0; i < 100; ++i) {
    std::string out;
    leaks("--json " + pid, &out);
    j = nlohmann::json::parse(out);
    if (j["proven"] == 5) break;
    usleep(50000);
  }
  ASSERT_EQ(j["proven"], 5) << j.dump(2);
  std::map<std::string, int> by_reason;
  for (const auto& f : j["findings"]) {
    if (f["certainty"] == "proven") ++by_reason[f["wait_reason"].get<std::string>()];
  }
  EXPECT_EQ(by_reason["chan send"], 2);
  EXPECT_EQ(by_reason["sync.Mutex.Lock"], 2);
  EXPECT_EQ(by_reason["sync.WaitGroup.Wait"], 1);
  // Goroutine 2 is a pool worker waiting for a job main still feeds.
  std::string why;
  leaks(pid + " --why 2", &why);
  EXPECT_NE(why.find("goroutine 2 [chan receive] is not leaked"), std::string::npos) << why;
  EXPECT_NE(why.find("  goroutine 1 [sleep] can run\n  -> goroutine 1's stack: frame "), std::string::npos) << why;
  EXPECT_NE(why.find("variable `jobs`"), std::string::npos) << why;
}

}  // namespace
#endif
