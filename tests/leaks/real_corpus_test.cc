// The realistic leak corpus as a test: every case in real/ runs with 1, 2 and 4 workers,
// built at -O0, -O1, -O2 and -O3. Once it prints `ready`, main goes on working (it never waits
// on the test's behalf), so the test polls: it reads the process and runs the leak
// analysis until the proven findings match the case's `gleak-expect` lines or about 5 s
// have passed (leaking cases), or checks on several reads that nothing is proven (the
// look-alikes). A false positive fails the test; a missed leak skips it, saying what was
// missed. See real/README.md.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
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

// (function, wait reason) -> count; function "*" matches any function.
using Counts = std::map<std::pair<std::string, std::string>, int>;


// Matched is the proven findings of one analysis sorted against the expectation: named
// expectations are tried before `*` ones, so a `*` line takes only what no named line
// claims.
struct Matched {
  Counts got;
  std::vector<std::string> unexpected;
};

Matched match(const gi::Snapshot& s, const gi::LeakAnalysis& r, const Expectation& want) {
  Matched m;
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, n] : want.leaked) {
    if (key.first != "*") keys.push_back(key);
  }
  for (const auto& [key, n] : want.leaked) {
    if (key.first == "*") keys.push_back(key);
  }
  for (const gi::LeakVerdict& f : r.findings) {
    if (f.certainty != gi::Certainty::kProven) continue;
    const gi::Goroutine* g = s.goroutine(f.goroutine);
    std::string fn = g ? gi::innermost_own_function(*g) : "?";
    std::string reason = g ? gleak::arena::wait_reason_name(g->wait_reason) : "?";
    bool matched = false;
    for (const auto& key : keys) {
      // A line takes no more goroutines than it expects; the rest fall through.
      if (key.second == reason && names_function(fn, key.first) && m.got[key] < want.leaked.at(key)) {
        ++m.got[key];
        matched = true;
        break;
      }
    }
    if (!matched) m.unexpected.push_back("goroutine " + std::to_string(f.goroutine) + " " + fn + " [" + reason + "]");
  }
  return m;
}

bool all_found(const Matched& m, const Expectation& want) {
  if (!m.unexpected.empty()) return false;
  for (const auto& [key, n] : want.leaked) {
    auto it = m.got.find(key);
    if (it == m.got.end() || it->second != n) return false;
  }
  return true;
}

// blocked_goroutines() counts the goroutines other than goroutine 1 that are parked on
// an object (not in a sleep or a blocking call): what makes a case a look-alike.
int blocked_goroutines(const gi::Snapshot& s) {
  int n = 0;
  for (const gi::Goroutine& g : s.goroutines) {
    if (g.id == 1 || g.state != gleak::arena::GoroutineState::kWaiting) continue;
    std::string reason = gleak::arena::wait_reason_name(g.wait_reason);
    if (reason != "sleep") ++n;
  }
  return n;
}

// blocked_list() describes every goroutine parked on an object, and whether the analysis
// proved it leaked: printed on failure, next to the leak report.
std::string blocked_list(const gi::Snapshot& s, const gi::LeakAnalysis& r) {
  std::string out = "blocked goroutines:\n";
  for (const gi::Goroutine& g : s.goroutines) {
    if (g.state != gleak::arena::GoroutineState::kWaiting) continue;
    std::string reason = gleak::arena::wait_reason_name(g.wait_reason);
    if (reason == "sleep") continue;
    const gi::LeakVerdict* f = r.find(g.id);
    out += "  goroutine " + std::to_string(g.id) + " [" + reason + "] " + gi::innermost_own_function(g) +
           (f ? (f->certainty == gi::Certainty::kProven ? " (proven leaked)" : " (suspected)") : "") + "\n";
  }
  return out;
}

using Clock = std::chrono::steady_clock;

class RealCorpus : public ::testing::TestWithParam<std::tuple<std::string, int, int>> {};

TEST_P(RealCorpus, FindsExactlyTheExpectedLeaks) {
  auto [name, procs, olevel] = GetParam();
  Expectation want = read_expectation(std::string(GLEAK_LEAK_REAL_DIR) + "/" + name + ".cc");
  ASSERT_TRUE(want.none != !want.leaked.empty()) << name << " states no expectation, or both none and leaks";
  ArenaDir dir;
  setenv("GLEAK_PROCS", std::to_string(procs).c_str(), 1);
  std::string exe = std::string(GLEAK_LEAK_REAL_BIN) + "/leak_real_" + name + "_O" + std::to_string(olevel);
  Child c({exe});
  ASSERT_TRUE(c.wait_for("ready")) << name << " did not get ready";

  gi::ReadOptions opt;
  opt.memory = true;
  opt.symbols = gi::make_symbols(c.pid());
  gi::Snapshot s;
  gi::LeakAnalysis r;
  Matched m;
  if (!want.none) {
    // The leaked goroutines reach their waits some time after `ready`, while main goes
    // on: read again until every expected leak is proven, for at most ~5 s.
    auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
      s = gi::read_pid(c.pid(), opt);
      r = gi::find_leaks(s);
      m = match(s, r, want);
      if ((all_found(m, want) && r.complete) || Clock::now() >= deadline) break;
      usleep(50000);
    }
  } else {
    // Nothing may be proven, on any read; the blocked goroutines stay blocked throughout.
    int most_blocked = 0;
    for (int i = 0; i < 5; ++i) {
      if (i > 0) usleep(100000);
      s = gi::read_pid(c.pid(), opt);
      r = gi::find_leaks(s);
      m = match(s, r, want);
      most_blocked = std::max(most_blocked, blocked_goroutines(s));
      if (!m.unexpected.empty() || !r.complete) break;
    }
    EXPECT_GT(most_blocked, 0) << name << ": a look-alike should have blocked goroutines";
    // `gleak leaks --why` explains each blocked goroutine that is not leaked: a chain from
    // a root to what it waits on.
    if (m.unexpected.empty() && r.complete) {
      for (const gi::Goroutine& g : s.goroutines) {
        if (g.id == 1 || g.state != gleak::arena::GoroutineState::kWaiting || r.find(g.id)) continue;
        if (std::string(gleak::arena::wait_reason_name(g.wait_reason)) == "sleep") continue;
        gi::LeakOptions lo;
        lo.why = g.id;
        gi::LeakAnalysis w = gi::find_leaks(s, lo);
        ASSERT_TRUE(w.why.has_value());
        EXPECT_FALSE(w.why->leaked) << name << ": goroutine " << g.id;
        std::string chain = gi::format_why(s, w);
        EXPECT_GE(w.why->path.size(), 2u) << chain;
        EXPECT_EQ(chain.find("could not be followed"), std::string::npos) << chain;
        EXPECT_EQ(chain.find("was not recorded"), std::string::npos) << chain;
      }
    }
  }
  kill(c.pid(), SIGKILL);
  c.wait();

  ASSERT_TRUE(r.memory_analysed);
  ASSERT_TRUE(r.complete) << (r.notes.empty() ? "" : r.notes.front());
  EXPECT_TRUE(m.unexpected.empty()) << "false positives in " << name << ": " << ::testing::PrintToString(m.unexpected)
                                    << "\n"
                                    << gi::format_leaks(s, r, {}) << blocked_list(s, r);
  // A false positive fails; a leak not proven is a miss: reported as a skip with what
  // was missed, so that `ctest` counts them (real/README.md gives the measured rate).
  if (!m.unexpected.empty()) return;
  std::string missed;
  for (const auto& [key, n] : want.leaked) {
    if (m.got[key] < n) {
      missed += " " + std::to_string(n - m.got[key]) + " of " + std::to_string(n) + " " + key.first + " [" + key.second + "];";
    }
  }
  if (!missed.empty()) GTEST_SKIP() << name << ": missed" << missed << "\n" << blocked_list(s, r);
}

// At -O0 the session of ok_lifetime_extended_session is a temporary whose own words main's
// loop no longer reads: only the reference `s` bound to it does. --why names that
// reference as what keeps the temporary (and so the worker's channel) a root.
TEST(RealCorpusWhy, NamesTheReferenceThatKeepsATemporaryARoot) {
  ArenaDir dir;
  setenv("GLEAK_PROCS", "2", 1);
  Child c({std::string(GLEAK_LEAK_REAL_BIN) + "/leak_real_ok_lifetime_extended_session_O0"});
  ASSERT_TRUE(c.wait_for("ready"));
  gi::ReadOptions opt;
  opt.memory = true;
  opt.symbols = gi::make_symbols(c.pid());
  std::string chain;
  // The worker reaches its receive some time after `ready`.
  for (int i = 0; i < 100 && chain.find("variable `s`") == std::string::npos; ++i) {
    if (i > 0) usleep(50000);
    gi::Snapshot s = gi::read_pid(c.pid(), opt);
    for (const gi::Goroutine& g : s.goroutines) {
      if (g.id == 1 || g.state != gleak::arena::GoroutineState::kWaiting) continue;
      if (std::string(gleak::arena::wait_reason_name(g.wait_reason)) != "chan receive") continue;
      gi::LeakOptions lo;
      lo.why = g.id;
      gi::LeakAnalysis w = gi::find_leaks(s, lo);
      ASSERT_TRUE(w.why.has_value());
      EXPECT_FALSE(w.why->leaked);
      chain = gi::format_why(s, w);
    }
  }
  kill(c.pid(), SIGKILL);
  c.wait();
  EXPECT_NE(chain.find("an object whose address the frame took"), std::string::npos) << chain;
  EXPECT_NE(chain.find("variable `s`"), std::string::npos) << chain;
}

INSTANTIATE_TEST_SUITE_P(Cases, RealCorpus,
                         ::testing::Combine(::testing::ValuesIn(case_names(GLEAK_LEAK_REAL_DIR)), ::testing::Values(1, 2, 4),
                                            ::testing::Values(0, 1, 2, 3)),
                         [](const ::testing::TestParamInfo<RealCorpus::ParamType>& p) {
                           return std::get<0>(p.param) + "_procs" + std::to_string(std::get<1>(p.param)) + "_O" +
                                  std::to_string(std::get<2>(p.param));
                         });

}  // namespace
