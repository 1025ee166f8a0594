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
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "inspector/errors.h"
#include "inspector/event_follow.h"
#include "inspector/leaks.h"
#include "inspector/reader.h"
#include "inspector/top.h"

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
      gi::LeakReport r = gi::find_leaks(s, lo);
      proven.clear();
      for (const gi::LeakFinding& f : r.findings) {
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

}  // namespace

int run_top(const std::string& path, const TopOptions& opt) {
  const bool tty = isatty(STDOUT_FILENO);
  const bool keys = tty && isatty(STDIN_FILENO);
  long iterations = opt.iterations >= 0 ? opt.iterations : tty ? 0 : 1;

  gi::EventFollower follow(path);
  follow.skip_history();
  int64_t last = monotonic_ns();  // the first rates count from here
  // A refresh reads the goroutine table and the parked goroutines' stacks without
  // stopping the target: cheaper, at the price of a record and its stack being read
  // a moment apart (and running goroutines shown without a stack).
  gi::ReadOptions ro;
  ro.consistent = false;
  ro.events = false;
  ro.objects = false;
  ro.host_pid = opt.host_pid;
  gi::Snapshot first = gi::read_file(path, ro);
  if (first.source != gi::Source::kLiveProcess) {
    std::fprintf(stderr, "gleak: process %d is not running: use gleak dump\n", first.pid);
    return static_cast<int>(gi::ErrorCode::kNoSuchProcess);
  }
  const int pid = first.pid;
  // Reading the binaries' symbols is most of a refresh's cost: they are read once,
  // and again every kSymbolsEvery refreshes for libraries loaded meanwhile.
  constexpr long kSymbolsEvery = 60;
  ro.symbols = gi::make_symbols(pid);
  // A goroutine parked since the last refresh has the same stack: walked once.
  ro.parked_stacks = gi::make_parked_stacks();

  struct sigaction sa {};
  sa.sa_handler = [](int) { g_quit.store(true); };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGWINCH, [](int) {});  // wakes poll() so that a resize redraws at once

  std::unique_ptr<Terminal> term;
  if (tty) term = std::make_unique<Terminal>();
  LeakCheck leaks;
  leaks.host_pid = opt.host_pid;
  std::vector<gi::Event> events;
  uint64_t lost_before = follow.lost();
  uint64_t created = 0, exited = 0;
  constexpr int64_t kRingPollNs = 50'000'000;
  int64_t next_refresh = monotonic_ns() + opt.refresh_ns;
  bool check_now = opt.leaks_every_ns > 0;  // the first refresh checks, unless only l should
  gi::TopFrame frame;
  frame.snapshot = std::move(first);
  bool ended = false;
  if (tty) {
    std::vector<gi::TopLine> lines = {{"gleak top - pid " + std::to_string(pid) + ": reading...", false}};
    write_all(screen(lines, true));
  }
  for (long shown = 0; iterations == 0 || shown < iterations;) {
    // Wait for the next refresh or a key. The rings are read every kRingPollNs
    // meanwhile: a busy worker overwrites its ring within a second, and the rates
    // count events that are read.
    int64_t wait = next_refresh - monotonic_ns();
    bool refresh = wait <= 0;
    if (!refresh) {
      pollfd p{STDIN_FILENO, POLLIN, 0};
      int n = poll(&p, keys ? 1 : 0, static_cast<int>((std::min(wait, kRingPollNs) + 999999) / 1000000));
      if (g_quit.load()) break;
      if (n == 0 && wait > kRingPollNs) {
        events.clear();
        follow.poll(events);
        gi::count_lifecycle(events, &created, &exited);
        continue;
      }
      if (n > 0 && (p.revents & POLLIN)) {
        char c = 0;
        if (::read(STDIN_FILENO, &c, 1) == 1) {
          if (c == 'q' || c == 'Q') break;
          if (c == 'l' || c == 'L') {
            check_now = true;
            refresh = true;
          }
        }
      }
      if (n == 0) refresh = true;
      if (n < 0 && errno == EINTR) refresh = true;  // a resize: draw again now
      if (!refresh) continue;
    }
    int64_t now = monotonic_ns();

    // The rates: spawn and exit events since the last refresh.
    events.clear();
    follow.poll(events);
    gi::count_lifecycle(events, &created, &exited);
    if (follow.state() != gi::ProcessState::kRunning || (kill(pid, 0) != 0 && errno == ESRCH)) {
      ended = true;
      break;
    }
    if (shown > 0 && shown % kSymbolsEvery == 0) ro.symbols = gi::make_symbols(pid);
    try {
      frame.snapshot = gi::read_file(path, ro);
    } catch (const gi::InspectError&) {
      ended = true;  // its arena is gone: it exited
      break;
    }
    // Reading a process of a hundred thousand goroutines takes about a second of CPU:
    // the view then refreshes less often rather than keep a core busy.
    frame.read_ns = monotonic_ns() - now;
    next_refresh = now + std::max(opt.refresh_ns, 2 * frame.read_ns);
    if (frame.snapshot.source != gi::Source::kLiveProcess) {
      ended = true;
      break;
    }
    if (check_now || (opt.leaks_every_ns > 0 && leaks.ran && now - leaks.at_ns >= opt.leaks_every_ns)) {
      leaks.run(path);
      check_now = false;
    }
    gi::mark_leaked_ids(frame.snapshot, leaks.proven);
    frame.interval_ns = now - last;
    frame.created = created;
    frame.exited = exited;
    created = exited = 0;
    frame.lost = follow.lost() - lost_before;
    lost_before = follow.lost();
    last = now;
    frame.leaks_checked = leaks.ran;
    frame.leaks_proven = leaks.proven.size();
    frame.leaks_age_ns = leaks.ran ? monotonic_ns() - leaks.at_ns : 0;
    frame.leaks_stopped_ns = leaks.stopped_ns;
    frame.leaks_every_ns = opt.leaks_every_ns;
    frame.leaks_error = leaks.error;

    int width = -1, height = -1;
    if (tty) Terminal::size(&width, &height);
    write_all(screen(gi::render_top(frame, width, height), tty));
    ++shown;
  }
  term.reset();
  if (ended) std::fprintf(stderr, "gleak: process %d ended\n", pid);
  return 0;
}

}  // namespace gleak::cli
