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

#include "inspector/leaks.h"
#include "inspector/reader.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;

namespace {

struct Expectation {
  std::map<std::pair<std::string, std::string>, int> leaked;  // (function, wait reason) -> count
  bool cycle = false;
  bool none = false;
};

Expectation read_expectation(const std::string& path) {
  Expectation e;
  std::ifstream in(path);
  std::string line;
  const std::string tag = "// gleak-expect: ";
  while (std::getline(in, line)) {
    if (line.rfind(tag, 0) != 0) continue;
    std::string what = line.substr(tag.size());
    if (what == "none") {
      e.none = true;
    } else if (what == "deadlock-cycle") {
      e.cycle = true;
    } else if (what.rfind("leaked ", 0) == 0) {
      std::istringstream is(what.substr(7));
      int n = 0;
      std::string fn, reason;
      is >> n >> fn;
      std::getline(is >> std::ws, reason);
      e.leaked[{fn, reason}] += n;
    }
  }
  return e;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  if (DIR* d = opendir(GLEAK_LEAK_CASES_DIR)) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 3 && n.substr(n.size() - 3) == ".cc") names.push_back(n.substr(0, n.size() - 3));
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool names_function(const std::string& demangled, const std::string& word) {
  return std::regex_search(demangled, std::regex("\\b" + word + "\\b"));
}

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
  gi::LeakReport r;
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
  for (const gi::LeakFinding& f : r.findings) {
    if (f.certainty != gi::Certainty::kProven) continue;
    const gi::Goroutine* g = s.goroutine(f.goroutine);
    ASSERT_NE(g, nullptr);
    std::string fn = gi::own_function(*g);
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

INSTANTIATE_TEST_SUITE_P(Cases, Corpus, ::testing::Combine(::testing::ValuesIn(case_names()), ::testing::Values(1, 2, 4)),
                         [](const ::testing::TestParamInfo<Corpus::ParamType>& p) {
                           return std::get<0>(p.param) + "_procs" + std::to_string(std::get<1>(p.param));
                         });

}  // namespace
