// `gleak top`: the screen as a pure function of what was read (render_top()), and the
// real command in a pseudo-terminal, its screen read back through a small terminal
// emulator and compared with the process's real state.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"
#include "inspector/report/top.h"
#include "tests/child_process.h"

namespace gi = gleak::inspector;
using gleak::testing_support::ArenaDir;
using gleak::testing_support::Child;
using gleak::testing_support::run_command;

namespace {

gi::Goroutine waiting(uint64_t id, gi::WaitReason r, const std::string& fn, int64_t wait_ns) {
  gi::Goroutine g;
  g.id = id;
  g.parent_id = 1;
  g.state = gi::GoroutineState::kWaiting;
  g.wait_reason = r;
  g.wait_ns = wait_ns;
  g.stack = gi::Stack{gi::Frame{0x1000 + id % 2, fn, "/src/app.cc", 10, 0x10, "/bin/app", false}};
  return g;
}

gi::TopFrame sample_frame() {
  gi::TopFrame f;
  f.snapshot.pid = 77;
  f.snapshot.cmdline = "./app";
  for (uint64_t id = 2; id < 7; ++id) {
    f.snapshot.goroutines.push_back(waiting(id, gi::WaitReason::kChanReceive, "ingest(int)", 60'000'000'000 + id));
  }
  f.snapshot.goroutines.push_back(waiting(9, gi::WaitReason::kChanSend, "publish(int)", 2'500'000'000));
  gi::Goroutine run;
  run.id = 1;
  run.state = gi::GoroutineState::kRunning;
  f.snapshot.goroutines.insert(f.snapshot.goroutines.begin(), run);
  f.interval_ns = 2'000'000'000;
  f.created = 20;
  f.exited = 10;
  return f;
}

std::string text(const std::vector<gi::TopLine>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.text + "\n";
  return out;
}

TEST(TopView, CountsStatesAndRatesAndListsTheLargestBucketsFirst) {
  gi::TopFrame f = sample_frame();
  std::vector<gi::TopLine> lines = gi::render_top(f, 200, 40);
  std::string all = text(lines);
  EXPECT_NE(all.find("goroutines 7: running 1, runnable 0, waiting 6, syscall 0"), std::string::npos) << all;
  EXPECT_NE(all.find("created 10.0/s, exited 5.0/s"), std::string::npos) << all;
  EXPECT_NE(all.find("leaks: not checked yet"), std::string::npos) << all;
  std::size_t ingest = all.find("     5  chan receive");
  std::size_t publish = all.find("     1  chan send");
  ASSERT_NE(ingest, std::string::npos) << all;
  ASSERT_NE(publish, std::string::npos) << all;
  EXPECT_LT(ingest, publish);
  EXPECT_NE(all.find("1m0s  "), std::string::npos) << all;  // how long the bucket waited
  EXPECT_NE(all.find("2.5s"), std::string::npos) << all;
  EXPECT_NE(all.find("ingest(int)  app.cc:10"), std::string::npos) << all;
  for (const auto& l : lines) EXPECT_FALSE(l.highlight) << l.text;
}

TEST(TopView, RatesSayWhenEventsWereLostAndHowLongTheReadTook) {
  gi::TopFrame f = sample_frame();
  f.lost = 5;
  f.read_ns = 3'000'000;
  std::vector<gi::TopLine> lines = gi::render_top(f, 200, 40);
  EXPECT_EQ(lines[2].text, "created 10.0/s, exited 5.0/s (at least: 5 events lost to ring overflow); read in 3ms");
}

TEST(TopView, ProvenLeaksAreHighlighted) {
  gi::TopFrame f = sample_frame();
  gi::mark_leaked_ids(f.snapshot, {9, 1});  // 1 runs: it cannot have been a leak
  f.leaks_checked = true;
  f.leaks_proven = 1;
  f.leaks_age_ns = 3'000'000'000;
  f.leaks_stopped_ns = 2'100'000;
  f.leaks_every_ns = 10'000'000'000;
  std::vector<gi::TopLine> lines = gi::render_top(f, 200, 40);
  int highlighted_rows = 0;
  for (const auto& l : lines) {
    if (l.highlight && l.text.find("chan send (leaked)") != std::string::npos) ++highlighted_rows;
    if (l.text.find("ingest") != std::string::npos) {
      EXPECT_FALSE(l.highlight);
    }
  }
  EXPECT_EQ(highlighted_rows, 1) << text(lines);
  EXPECT_NE(text(lines).find("leaks: 1 proven (checked 3s ago, target stopped 2.1 ms; every 10s)"), std::string::npos)
      << text(lines);
}

TEST(TopView, TheScreenFitsTheTerminalAndSaysWhatDidNotFit) {
  gi::TopFrame f = sample_frame();
  f.interval_ns = 0;
  std::vector<gi::TopLine> lines = gi::render_top(f, 30, 7);
  ASSERT_EQ(lines.size(), 7u);
  for (const auto& l : lines) EXPECT_LE(l.text.size(), 30u);
  EXPECT_EQ(lines[2].text, "created -/s, exited -/s (measu");
  EXPECT_EQ(lines[6].text, "  ... 3 more buckets, 7 gorout");
}

// Screen is the little of a VT100 that gleak top uses: cursor home and position,
// erase in line and display, reverse video, the alternate screen.
class Screen {
 public:
  Screen(int rows, int cols) : rows_(rows), cols_(cols) { clear(); }
  void feed(const std::string& bytes) {
    for (char c : bytes) put(c);
  }
  std::string row(int r) const {
    std::string s;
    for (const Cell& c : cells_[r]) s += c.ch;
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }
  bool reversed(int r) const {
    for (const Cell& c : cells_[r]) {
      if (c.reverse && c.ch != ' ') return true;
    }
    return false;
  }
  std::string all() const {
    std::string s;
    for (int r = 0; r < rows_; ++r) s += row(r) + "\n";
    return s;
  }
  int homes() const { return homes_; }
  bool left_alternate_screen() const { return left_alt_; }

 private:
  struct Cell {
    char ch = ' ';
    bool reverse = false;
  };
  void clear() { cells_.assign(rows_, std::vector<Cell>(cols_)); }
  void put(char c) {
    if (in_csi_) {
      if ((c >= '0' && c <= '9') || c == ';' || c == '?') {
        params_ += c;
        return;
      }
      in_csi_ = false;
      csi(c);
      return;
    }
    if (esc_) {
      esc_ = false;
      if (c == '[') {
        in_csi_ = true;
        params_.clear();
      }
      return;
    }
    if (c == '\x1b') {
      esc_ = true;
    } else if (c == '\r') {
      col_ = 0;
    } else if (c == '\n') {
      row_ = std::min(row_ + 1, rows_ - 1);
    } else if (row_ < rows_ && col_ < cols_) {
      cells_[row_][col_++] = Cell{c, reverse_};
    }
  }
  void csi(char f) {
    if (f == 'H') {
      int r = 1, c = 1;
      if (!params_.empty()) std::sscanf(params_.c_str(), "%d;%d", &r, &c);
      row_ = r - 1;
      col_ = c - 1;
      ++homes_;
    } else if (f == 'J') {
      if (params_ == "2") {
        clear();
      } else {
        for (int c = col_; c < cols_; ++c) cells_[row_][c] = Cell{};
        for (int r = row_ + 1; r < rows_; ++r) cells_[r].assign(cols_, Cell{});
      }
    } else if (f == 'K') {
      for (int c = col_; c < cols_; ++c) cells_[row_][c] = Cell{};
    } else if (f == 'm') {
      reverse_ = params_ == "7";
    } else if ((f == 'h' || f == 'l') && params_ == "?1049") {
      clear();
      if (f == 'l') left_alt_ = true;
    }
  }

  int rows_, cols_;
  std::vector<std::vector<Cell>> cells_;
  int row_ = 0, col_ = 0;
  bool reverse_ = false, esc_ = false, in_csi_ = false, left_alt_ = false;
  std::string params_;
  int homes_ = 0;
};

// TopInPty runs `gleak top` in a pseudo-terminal of 40 rows and 200 columns.
class TopInPty {
 public:
  explicit TopInPty(const std::vector<std::string>& args) : screen_(kRows, kCols) {
    winsize ws{};
    ws.ws_row = kRows;
    ws.ws_col = kCols;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      setenv("TERM", "xterm", 1);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~TopInPty() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  // read_until() reads the screen until ok(screen) holds or `frames` more frames were
  // drawn (or the command ended): a bound in frames, not in time.
  template <class Pred>
  bool read_until(Pred ok, int frames) {
    int until = screen_.homes() + frames;
    char buf[8192];
    while (screen_.homes() <= until) {
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) return ok(screen_);
      screen_.feed(std::string(buf, static_cast<std::size_t>(n)));
      if (ok(screen_)) return true;
    }
    return false;
  }
  void key(char c) { ASSERT_EQ(write(master_, &c, 1), 1); }
  // finish() reads what is left and returns the exit status.
  int finish() {
    char buf[8192];
    for (ssize_t n; (n = read(master_, buf, sizeof buf)) > 0;) screen_.feed(std::string(buf, static_cast<std::size_t>(n)));
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }
  const Screen& screen() const { return screen_; }

 private:
  static constexpr int kRows = 40, kCols = 200;
  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  Screen screen_;
};

TEST(GleakTop, ThePseudoTerminalShowsWhatTheProcessHolds) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  TopInPty top({GLEAK_CLI, "top", std::to_string(server.pid()), "--leaks-every", "0"});
  auto has_buckets = [](const Screen& s) { return s.all().find("select") != std::string::npos; };
  ASSERT_TRUE(top.read_until(has_buckets, 10)) << top.screen().all();

  // The process's real state, read by the inspector: one row per bucket with its
  // count, status and function.
  gi::Snapshot s = gi::read_pid(server.pid());
  gi::TextOptions group;
  group.group = true;
  std::map<std::string, int> states;
  for (const gi::Goroutine& g : s.goroutines) ++states[gleak::arena::goroutine_state_name(g.state)];
  std::string screen = top.screen().all();
  EXPECT_EQ(top.screen().row(0), "gleak top - pid " + std::to_string(server.pid()) + ": " + s.cmdline);
  EXPECT_EQ(top.screen().row(1), "goroutines " + std::to_string(s.goroutines.size()) + ": running " +
                                     std::to_string(states["running"]) + ", runnable " +
                                     std::to_string(states["runnable"]) + ", waiting " +
                                     std::to_string(states["waiting"]) + ", syscall " + std::to_string(states["syscall"]));
  std::vector<gi::Bucket> buckets = gi::group_goroutines(s, group);
  for (const gi::Bucket& b : buckets) {
    std::string fn;
    for (const gi::Frame& f : b.stack) {
      if (!f.runtime) {
        fn = f.function;
        break;
      }
    }
    char count[16];
    std::snprintf(count, sizeof count, "%6zu  ", b.members.size());
    bool found = false;
    for (int r = 6; r < 40; ++r) {
      std::string row = top.screen().row(r);
      if (row.rfind(count + b.status + " ", 0) == 0 && row.find(fn) != std::string::npos) found = true;
    }
    EXPECT_TRUE(found) << count << b.status << " " << fn << "\n" << screen;
  }
  top.key('q');
  int status = top.finish();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(top.screen().left_alternate_screen());
}

TEST(GleakTop, AProvenLeakIsHighlighted) {
  std::string target = std::string(GLEAK_LEAK_CASES_BIN) + "/leak_case_leak_early_return_send";
  if (access(target.c_str(), X_OK) != 0) GTEST_SKIP() << "the leak cases are not built (sanitizer build)";
  ArenaDir dir;
  Child leak({target});
  ASSERT_TRUE(leak.wait_for("ready"));
  TopInPty top({GLEAK_CLI, "top", std::to_string(leak.pid()), "--leaks-every", "1s"});
  // The analysis can miss a proof while the case's goroutine 1 is still on its way to
  // its wait (see corpus_test.cc): it runs again every second.
  auto leak_shown = [](const Screen& s) {
    for (int r = 6; r < 40; ++r) {
      if (s.reversed(r) && s.row(r).find("chan send (leaked)") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(top.read_until(leak_shown, 15)) << top.screen().all();
  EXPECT_NE(top.screen().all().find("leaks: 1 proven"), std::string::npos) << top.screen().all();
  top.key('q');
  int status = top.finish();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(GleakTop, TheLKeyRunsTheLeakAnalysisNow) {
  std::string target = std::string(GLEAK_LEAK_CASES_BIN) + "/leak_case_leak_early_return_send";
  if (access(target.c_str(), X_OK) != 0) GTEST_SKIP() << "the leak cases are not built (sanitizer build)";
  ArenaDir dir;
  Child leak({target});
  ASSERT_TRUE(leak.wait_for("ready"));
  TopInPty top({GLEAK_CLI, "top", std::to_string(leak.pid()), "--leaks-every", "0"});
  auto not_checked = [](const Screen& s) { return s.row(3).find("leaks: not checked yet (on key l only)") == 0; };
  ASSERT_TRUE(top.read_until(not_checked, 5)) << top.screen().all();
  auto checked = [](const Screen& s) { return s.row(3).find(" proven (checked ") != std::string::npos; };
  auto proven = [](const Screen& s) { return s.row(3).find("leaks: 1 proven") == 0 && s.reversed(3); };
  // As in AProvenLeakIsHighlighted, a check can come too early to prove it: ask again.
  bool shown = false;
  for (int i = 0; i < 3 && !shown; ++i) {
    top.key('l');
    ASSERT_TRUE(top.read_until(checked, 5)) << top.screen().all();
    shown = top.read_until(proven, 1);
  }
  EXPECT_TRUE(shown) << top.screen().all();
  top.key('q');
  int status = top.finish();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(GleakTop, WithoutATerminalItPrintsPlainText) {
  ArenaDir dir;
  Child server({GLEAK_STUCK_SERVER});
  ASSERT_TRUE(server.wait_for("ready"));
  std::string out;
  ASSERT_EQ(run_command(std::string(GLEAK_CLI) + " top " + std::to_string(server.pid()) + " --leaks-every 0 2>&1", &out),
            0);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find(" COUNT  STATE"), std::string::npos) << out;
  EXPECT_NE(out.find("sync.WaitGroup.Wait"), std::string::npos) << out;
}

TEST(GleakTop, BadInputGetsAMessageAndAnExitCode) {
  std::string out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " top 999999999 -n 1 2>&1", &out), 3) << out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " top 1 --refresh fast 2>&1", &out), 2) << out;
  EXPECT_EQ(run_command(std::string(GLEAK_CLI) + " top 1 --leaks-every never 2>&1", &out), 2) << out;
}

}  // namespace
