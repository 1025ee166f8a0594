// The leak corpus as a test: every case in cases/ runs with 1, 2 and 4 workers; once it
// prints `ready`, the leak analysis must report exactly its `gleak-expect` lines — every
// leaked goroutine found (function and wait reason), nothing proven in a look-alike that
// does not leak, a cycle where one is expected. See cases/README.md.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/read/reader.h"
#include "tests/child_process.h"
#include "tests/leaks/expectations.h"

namespace gi = gleak::inspector;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::case_names;
using gleak::testing_support::Expectation;
using gleak::testing_support::names_function;
using gleak::testing_support::read_expectation;

namespace {


class Corpus : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(Corpus, FindsExactlyTheExpectedLeaks) {
  auto [name, procs] = GetParam();
  Expectation want = read_expectation(std::string(GLEAK_LEAK_CASES_DIR) + "/" + name + ".cc");
  ASSERT_TRUE(want.none || !want.leaked.empty()) << name << " states no expectation";
  ArenaDir dir;
  setenv("GLEAK_PROCS", std::to_string(procs).c_str(), 1);
  Child c({std::string(GLEAK_LEAK_CASES_BIN) + "/leak_case_" + name});
  ASSERT_TRUE(c.wait_for("ready")) << name << " did not get ready";
  // `ready` is printed just before goroutine 1 blocks in sigwait: wait until it has.
  gi::ReadOptions quick;
  quick.symbolize = quick.stacks = quick.events = quick.objects = false;
  quick.consistent = false;
  bool in_place = false;
  for (int i = 0; i < 10000 && !in_place; ++i) {
    gi::Snapshot now = gi::read_pid(c.pid(), quick);
    const gi::Goroutine* main_g = now.goroutine(1);
    in_place = main_g && main_g->state == gleak::arena::GoroutineState::kSyscall;
    if (!in_place) usleep(1000);
  }
  ASSERT_TRUE(in_place) << name << ": goroutine 1 never reached its blocking wait";
  // A leak is for ever; a reference the runtime holds for a moment after the last park
  // is not. One read almost always proves them all (1 miss in ~2,000 runs under load);
  // a second or third read covers that moment. Each proof is valid whenever it is made,
  // so reading again can hide no false positive.
  int expected = 0;
  for (const auto& [key, n] : want.leaked) expected += n;
  gi::ReadOptions opt;
  opt.memory = true;
  gi::Snapshot s;
  gi::LeakAnalysis r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = gi::read_pid(c.pid(), opt);
    r = gi::find_leaks(s);
    if (static_cast<int>(r.count(gi::Certainty::kProven)) >= expected) break;
    usleep(20000);
  }
  kill(c.pid(), SIGTERM);
  ASSERT_TRUE(r.memory_analysed);
  ASSERT_TRUE(r.complete) << (r.notes.empty() ? "" : r.notes.front());

  std::map<std::pair<std::string, std::string>, int> got;
  std::vector<std::string> unexpected;
  for (const gi::LeakVerdict& f : r.findings) {
    if (f.certainty != gi::Certainty::kProven) continue;
    const gi::Goroutine* g = s.goroutine(f.goroutine);
    ASSERT_NE(g, nullptr);
    std::string fn = gi::innermost_own_function(*g);
    std::string reason = gleak::arena::wait_reason_name(g->wait_reason);
    bool matched = false;
    for (const auto& [key, n] : want.leaked) {
      if (key.second == reason && names_function(fn, key.first)) {
        ++got[key];
        matched = true;
        break;
      }
    }
    if (!matched) unexpected.push_back("goroutine " + std::to_string(g->id) + " " + fn + " [" + reason + "]");
  }
  EXPECT_TRUE(unexpected.empty()) << "false positives in " << name << ": " << ::testing::PrintToString(unexpected)
                                  << "\n" << gi::format_leaks(s, r, {});
  for (const auto& [key, n] : want.leaked) {
    EXPECT_EQ(got[key], n) << name << ": leaked " << key.first << " [" << key.second << "]\n"
                           << gi::format_leaks(s, r, {});
  }
  if (want.cycle) {
    EXPECT_FALSE(r.cycles.empty()) << name << " has a deadlock cycle\n" << gi::format_leaks(s, r, {});
  }
  int status = c.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << name << " did not exit cleanly on SIGTERM";
}

INSTANTIATE_TEST_SUITE_P(Cases, Corpus, ::testing::Combine(::testing::ValuesIn(case_names(GLEAK_LEAK_CASES_DIR)), ::testing::Values(1, 2, 4)),
                         [](const ::testing::TestParamInfo<Corpus::ParamType>& p) {
                           return std::get<0>(p.param) + "_procs" + std::to_string(std::get<1>(p.param));
                         });

}  // namespace
