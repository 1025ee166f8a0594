// cli/top.cc — see top.h. The screen is drawn with plain ANSI escape codes (home,
// erase to end of line, reverse video, the alternate screen), which every terminal
// and terminal emulator over ssh understands; no curses library is needed for that.
#include "cli/top.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "arena/clock.h"
#include "inspector/errors.h"
#include "inspector/read/event_follow.h"
#include "inspector/analyse/leaks.h"
#include "inspector/read/reader.h"
#include "inspector/report/top.h"

namespace gleak::cli {

namespace gi = gleak::inspector;

namespace {

std::atomic<bool> g_quit{false};

void write_all(const std::string& s) {
  for (std::size_t at = 0; at < s.size();) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + at, s.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

// Terminal puts the terminal into the state a full-screen view needs, and back.
class Terminal {
 public:
  Terminal() {
    if (tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      // Keys arrive one by one and are not echoed; Ctrl-C still interrupts.
      raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      have_saved_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    write_all("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");  // alternate screen, no cursor
  }
  ~Terminal() {
    write_all("\x1b[0m\x1b[?25h\x1b[?1049l");
    if (have_saved_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  static void size(int* width, int* height) {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
      *width = ws.ws_col;
      *height = ws.ws_row;
    } else {
      *width = 80;
      *height = 24;
    }
  }

 private:
  termios saved_{};
  bool have_saved_ = false;
};

std::string screen(const std::vector<gi::TopLine>& lines, bool tty) {
  std::string out = tty ? "\x1b[H" : "";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (tty && lines[i].highlight) out += "\x1b[7m";
    out += lines[i].text;
    if (tty) out += lines[i].highlight ? "\x1b[0m\x1b[K" : "\x1b[K";
    // The last line of a full screen ends without a newline, which would scroll it.
    if (!tty || i + 1 < lines.size()) out += tty ? "\r\n" : "\n";
  }
  out += tty ? "\x1b[J" : "\n";
  return out;
}

// LeakCheck runs the leak analysis and remembers what it proved.
struct LeakCheck {
  int host_pid = 0;
  std::set<uint64_t> proven;
  bool ran = false;
  int64_t at_ns = 0;
  int64_t stopped_ns = 0;
  std::string error;

  void run(const std::string& path) {
    gi::ReadOptions ro;
    ro.memory = true;  // stops the target while its memory is copied
    ro.host_pid = host_pid;
    at_ns = monotonic_ns();
    try {
      gi::Snapshot s = gi::read_file(path, ro);
      gi::LeakOptions lo;
      lo.suspect_after_ns = 0;
      lo.max_holder_scans = 0;
      gi::LeakAnalysis r = gi::find_leaks(s, lo);
      proven.clear();
      for (const gi::LeakVerdict& f : r.findings) {
        if (f.certainty == gi::Certainty::kProven) proven.insert(f.goroutine);
      }
      stopped_ns = s.stopped_ns;
      ran = true;
      error.clear();
    } catch (const gi::InspectError& e) {
      error = e.what();
    }
  }
};

// TopSession is one run of `gleak top`: it follows the target's rings between refreshes,
// reads the target at each refresh, runs the leak analysis when due, and draws.
class TopSession {
 public:
  TopSession(const std::string& path, const TopOptions& opt)
      : path_(path), opt_(opt), tty_(isatty(STDOUT_FILENO)), keys_(tty_ && isatty(STDIN_FILENO)), follow_(path) {
    iterations_ = opt.iterations >= 0 ? opt.iterations : tty_ ? 0 : 1;
    leaks_.host_pid = opt.host_pid;
    check_now_ = opt.leaks_every_ns > 0;  // the first refresh checks, unless only l should
  }

  // open() reads the target once; an error code if it is not a running gleak process.
  int open() {
    follow_.skip_history();
    last_ = monotonic_ns();  // the first rates count from here
    // A refresh reads the goroutine table and the parked goroutines' stacks without
    // stopping the target: cheaper, at the price of a record and its stack being read
    // a moment apart (and running goroutines shown without a stack).
    ro_.consistent = false;
    ro_.events = false;
    ro_.objects = false;
    ro_.host_pid = opt_.host_pid;
    gi::Snapshot first = gi::read_file(path_, ro_);
    if (first.source != gi::Source::kLiveProcess) {
      std::fprintf(stderr, "gleak: process %d is not running: use gleak dump\n", first.pid);
      return static_cast<int>(gi::ErrorCode::kNoSuchProcess);
    }
    pid_ = first.pid;
    // Reading the binaries' symbols is most of a refresh's cost: they are read once,
    // and again every kSymbolsEvery refreshes for libraries loaded meanwhile.
    ro_.symbols = gi::make_symbols(pid_);
    // A goroutine parked since the last refresh has the same stack: walked once.
    ro_.parked_stacks = gi::make_parked_stacks();
    lost_before_ = follow_.lost();
    next_refresh_ = monotonic_ns() + opt_.refresh_ns;
    frame_.snapshot = std::move(first);
    return 0;
  }

  // loop() refreshes until q, a signal, the iterations are done or the target ends.
  int loop() {
    if (tty_) {
      term_ = std::make_unique<Terminal>();
      std::vector<gi::TopLine> lines = {{"gleak top - pid " + std::to_string(pid_) + ": reading...", false}};
      write_all(screen(lines, true));
    }
    bool ended = false;
    for (long shown = 0; iterations_ == 0 || shown < iterations_;) {
      Next next = wait();
      if (next == Next::kQuit) break;
      if (next == Next::kWait) continue;
      if (!refresh(shown)) {
        ended = true;
        break;
      }
      draw();
      ++shown;
    }
    term_.reset();
    if (ended) std::fprintf(stderr, "gleak: process %d ended\n", pid_);
    return 0;
  }

 private:
  enum class Next { kRefresh, kWait, kQuit };
  static constexpr int64_t kRingPollNs = 50'000'000;
  static constexpr long kSymbolsEvery = 60;

  // wait() waits for the next refresh or a key. The rings are read every kRingPollNs
  // meanwhile: a busy worker overwrites its ring within a second, and the rates count
  // events that are read.
  Next wait() {
    int64_t wait = next_refresh_ - monotonic_ns();
    if (wait <= 0) return Next::kRefresh;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int n = poll(&p, keys_ ? 1 : 0, static_cast<int>((std::min(wait, kRingPollNs) + 999999) / 1000000));
    if (g_quit.load()) return Next::kQuit;
    if (n == 0 && wait > kRingPollNs) {
      follow_rings();
      return Next::kWait;
    }
    if (n > 0 && (p.revents & POLLIN)) {
      char c = 0;
      if (::read(STDIN_FILENO, &c, 1) == 1) {
        if (c == 'q' || c == 'Q') return Next::kQuit;
        if (c == 'l' || c == 'L') {
          check_now_ = true;
          return Next::kRefresh;
        }
      }
    }
    if (n == 0) return Next::kRefresh;
    if (n < 0 && errno == EINTR) return Next::kRefresh;  // a resize: draw again now
    return Next::kWait;
  }

  void follow_rings() {
    events_.clear();
    follow_.poll(events_);
    gi::count_lifecycle(events_, &created_, &exited_);
  }

  // refresh() reads the target into the frame; false when it has ended.
  bool refresh(long shown) {
    int64_t now = monotonic_ns();
    follow_rings();  // the rates: spawn and exit events since the last refresh
    if (follow_.state() != gi::ProcessState::kRunning || (kill(pid_, 0) != 0 && errno == ESRCH)) return false;
    if (shown > 0 && shown % kSymbolsEvery == 0) ro_.symbols = gi::make_symbols(pid_);
    try {
      frame_.snapshot = gi::read_file(path_, ro_);
    } catch (const gi::InspectError&) {
      return false;  // its arena is gone: it exited
    }
    // Reading a process of a hundred thousand goroutines takes about a second of CPU:
    // the view then refreshes less often rather than keep a core busy.
    frame_.read_ns = monotonic_ns() - now;
    next_refresh_ = now + std::max(opt_.refresh_ns, 2 * frame_.read_ns);
    if (frame_.snapshot.source != gi::Source::kLiveProcess) return false;
    if (check_now_ || (opt_.leaks_every_ns > 0 && leaks_.ran && now - leaks_.at_ns >= opt_.leaks_every_ns)) {
      leaks_.run(path_);
      check_now_ = false;
    }
    gi::mark_leaked_ids(frame_.snapshot, leaks_.proven);
    frame_.interval_ns = now - last_;
    frame_.created = created_;
    frame_.exited = exited_;
    created_ = exited_ = 0;
    frame_.lost = follow_.lost() - lost_before_;
    lost_before_ = follow_.lost();
    last_ = now;
    frame_.leaks_checked = leaks_.ran;
    frame_.leaks_proven = leaks_.proven.size();
    frame_.leaks_age_ns = leaks_.ran ? monotonic_ns() - leaks_.at_ns : 0;
    frame_.leaks_stopped_ns = leaks_.stopped_ns;
    frame_.leaks_every_ns = opt_.leaks_every_ns;
    frame_.leaks_error = leaks_.error;
    return true;
  }

  void draw() {
    int width = -1, height = -1;
    if (tty_) Terminal::size(&width, &height);
    write_all(screen(gi::render_top(frame_, width, height), tty_));
  }

  const std::string path_;
  const TopOptions opt_;
  const bool tty_, keys_;
  long iterations_ = 0;
  gi::EventFollower follow_;
  gi::ReadOptions ro_;
  int pid_ = 0;
  std::unique_ptr<Terminal> term_;
  LeakCheck leaks_;
  std::vector<gi::Event> events_;
  uint64_t lost_before_ = 0, created_ = 0, exited_ = 0;
  int64_t last_ = 0, next_refresh_ = 0;
  bool check_now_ = false;
  gi::TopFrame frame_;
};

}  // namespace

int run_top(const std::string& path, const TopOptions& opt) {
  TopSession top(path, opt);
  if (int rc = top.open(); rc != 0) return rc;
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_quit.store(true); };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGWINCH, [](int) {});  // wakes poll() so that a resize redraws at once
  return top.loop();
}

}  // namespace gleak::cli
