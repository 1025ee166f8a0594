// inspector/report/top.cc — see top.h.
#include "inspector/report/top.h"

#include <algorithm>
#include <cstdio>

#include "inspector/analyse/leaks.h"
#include "inspector/report/report_text.h"

namespace gleak::inspector {

namespace {

std::string pad(std::string s, std::size_t n) {
  if (s.size() < n) s.append(n - s.size(), ' ');
  return s;
}

std::string rate(uint64_t n, int64_t interval_ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f/s", static_cast<double>(n) * 1e9 / static_cast<double>(interval_ns));
  return buf;
}

std::string waited(const Bucket& b) {
  if (b.max_wait_ns < 0) return "-";
  std::string lo = format_duration(b.min_wait_ns), hi = format_duration(b.max_wait_ns);
  return lo == hi ? hi : lo + "~" + hi;
}

std::string where(const Bucket& b) {
  for (const Frame& f : b.stack) {
    if (f.runtime) continue;
    std::string out = f.function.empty() ? "??" : f.function;
    if (!f.file.empty()) out += "  " + f.file.substr(f.file.rfind('/') + 1) + ":" + std::to_string(f.line);
    return out;
  }
  if (!b.stack_note.empty()) return "(" + b.stack_note + ")";
  return b.stack_hidden ? "(runtime frames only)" : "(no stack)";
}

}  // namespace

void count_lifecycle(const std::vector<Event>& events, uint64_t* created, uint64_t* exited) {
  for (const Event& e : events) {
    if (e.kind == arena::EventKind::kSpawn) ++*created;
    if (e.kind == arena::EventKind::kExit) ++*exited;
  }
}

void mark_leaked_ids(Snapshot& s, const std::set<uint64_t>& ids) {
  for (Goroutine& g : s.goroutines) g.leaked = ids.count(g.id) && g.state == GoroutineState::kWaiting;
}

std::vector<TopLine> render_top(const TopFrame& f, int width, int height) {
  const Snapshot& s = f.snapshot;
  std::vector<TopLine> out;
  out.push_back({"gleak top - pid " + std::to_string(s.pid) + (s.cmdline.empty() ? "" : ": " + s.cmdline), false});

  std::size_t running = 0, runnable = 0, waiting = 0, syscall = 0, leaked = 0;
  for (const Goroutine& g : s.goroutines) {
    running += g.state == GoroutineState::kRunning;
    runnable += g.state == GoroutineState::kRunnable;
    waiting += g.state == GoroutineState::kWaiting;
    syscall += g.state == GoroutineState::kSyscall;
    leaked += g.leaked;
  }
  out.push_back({"goroutines " + std::to_string(s.goroutines.size()) + ": running " + std::to_string(running) +
                     ", runnable " + std::to_string(runnable) + ", waiting " + std::to_string(waiting) +
                     ", syscall " + std::to_string(syscall),
                 false});
  if (f.interval_ns <= 0) {
    out.push_back({"created -/s, exited -/s (measuring)", false});
  } else {
    std::string l = "created " + rate(f.created, f.interval_ns) + ", exited " + rate(f.exited, f.interval_ns);
    if (f.lost > 0) l += " (at least: " + std::to_string(f.lost) + " events lost to ring overflow)";
    if (f.read_ns > 0) l += "; read in " + format_duration(f.read_ns);
    out.push_back({l, false});
  }
  std::string every = f.leaks_every_ns > 0 ? "every " + format_duration(f.leaks_every_ns) : "on key l only";
  std::string leaks;
  if (!f.leaks_error.empty()) {
    leaks = "leaks: check failed: " + f.leaks_error;
  } else if (!f.leaks_checked) {
    leaks = "leaks: not checked yet (" + every + ")";
  } else {
    char stopped[32];
    std::snprintf(stopped, sizeof stopped, "%.1f ms", static_cast<double>(f.leaks_stopped_ns) / 1e6);
    leaks = "leaks: " + (f.leaks_proven == 0 ? std::string("none") : std::to_string(f.leaks_proven)) +
            " proven (checked " + format_duration(f.leaks_age_ns) + " ago, target stopped " + stopped + "; " + every +
            ")";
    if (leaked != f.leaks_proven) leaks += ", " + std::to_string(leaked) + " still here";
  }
  out.push_back({leaks + "   l: check now, q: quit", leaked > 0});
  out.push_back({"", false});
  out.push_back({" COUNT  " + pad("STATE", 26) + pad("WAITED", 16) + "FUNCTION", false});

  TextOptions opt;
  opt.group = true;
  std::vector<Bucket> buckets = group_goroutines(s, opt);
  // A negative height is no limit (plain text).
  std::size_t room = height < 0                              ? buckets.size()
                     : height > static_cast<int>(out.size()) ? static_cast<std::size_t>(height) - out.size()
                                                             : 0;
  for (std::size_t i = 0; i < buckets.size() && room > 0; ++i) {
    const Bucket& b = buckets[i];
    if (room == 1 && i + 1 < buckets.size()) {
      std::size_t rest = 0;
      for (std::size_t k = i; k < buckets.size(); ++k) rest += buckets[k].members.size();
      out.push_back({"  ... " + std::to_string(buckets.size() - i) + " more buckets, " + std::to_string(rest) +
                         " goroutines",
                     false});
      break;
    }
    char count[16];
    std::snprintf(count, sizeof count, "%6zu", b.members.size());
    bool is_leaked = !b.members.empty() && b.members.front()->leaked;
    std::string labels = b.members.empty() ? "" : format_labels(*b.members.front());
    out.push_back({std::string(count) + "  " + pad(b.status, 26) + pad(waited(b), 16) + where(b) +
                       (labels.empty() ? "" : "  " + labels),
                   is_leaked});
    --room;
  }
  for (TopLine& l : out) {
    if (width >= 0 && l.text.size() > static_cast<std::size_t>(width)) l.text.resize(static_cast<std::size_t>(width));
  }
  if (height >= 0 && out.size() > static_cast<std::size_t>(height)) out.resize(static_cast<std::size_t>(height));
  return out;
}

}  // namespace gleak::inspector
