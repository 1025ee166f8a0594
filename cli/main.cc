// cli/main.cc — the gleak command: argument parsing and output only; the work is the
// inspector's.
//
// Exit codes: 0 success (gleak leaks: no proven leak); 1 gleak leaks proved a leak; 2 usage error; 3 no such process;
// 4 not a gleak process; 5 permission denied; 6 corrupt or incompatible arena; 7 other
// I/O error. gleak run and gleak baseline: see inspector/analyse/gate.h and docs/ci.md (0 clean,
// 1 the command failed, 8 it could not be run, 10 leaks, 11 deadlock, 12 panic,
// 13 goroutines left with --strict).
#include <CLI/CLI.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include <cstdio>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "inspector/read/arena_file.h"
#include "inspector/errors.h"
#include "inspector/analyse/gate.h"
#include "inspector/report/gate_report.h"
#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/report/pprof.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_json.h"
#include "inspector/report/report_text.h"
#include "inspector/report/trace.h"
#include "arena/duration.h"
#include "cli/agent.h"
#include "cli/diff.h"
#include "cli/ps.h"
#include "cli/top.h"

namespace gi = gleak::inspector;
using gleak::parse_duration;

namespace {

constexpr int kExitLeaks = 1;
constexpr int kExitUsage = 2;

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// read_target() reads a pid, or an arena file given by path.
gi::Snapshot read_target(const std::string& target, const gi::ReadOptions& opt) {
  if (all_digits(target)) return gi::read_pid(std::stoi(target), opt);
  struct stat st;
  if (stat(target.c_str(), &st) != 0) {
    throw gi::InspectError(gi::ErrorCode::kNoSuchProcess, target + ": neither a pid nor an arena file");
  }
  return gi::read_file(target, opt);
}

const char* source_name(gi::Source s) {
  switch (s) {
    case gi::Source::kSelf: return "this process";
    case gi::Source::kLiveProcess: return "live";
    case gi::Source::kDeadProcess: return "dead";
    case gi::Source::kFile: return "arena file";
  }
  return "";
}


void print_warnings(const gi::Snapshot& s) {
  for (const auto& w : s.warnings) std::fprintf(stderr, "gleak: warning: %s\n", w.c_str());
}

// Output is stdout, or a file given with -o ("-" is stdout too).
class Output {
 public:
  explicit Output(const std::string& path) : path_(path) {
    if (path.empty() || path == "-") return;
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) {
      throw gi::InspectError(gi::ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
    }
  }
  ~Output() {
    if (f_) std::fclose(f_);
  }
  std::FILE* get() const { return f_ ? f_ : stdout; }
  // close() closes the file and reports a failure to write it.
  void close() {
    if (!f_) return;
    int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) throw gi::InspectError(gi::ErrorCode::kIo, "writing " + path_ + " failed: " + std::strerror(errno));
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// DumpFilter keeps the goroutines a user asked `gleak dump` for; every given condition
// must hold.
struct DumpFilter {
  std::vector<std::string> states;        // running, runnable, waiting, syscall
  std::vector<std::string> wait_reasons;  // Go's words: "chan receive", "select", ...
  std::string match, created_by;          // regular expressions on function names
  std::string min_wait = "0s";
  std::vector<uint64_t> ids;

  bool active() const {
    return !states.empty() || !wait_reasons.empty() || !match.empty() || !created_by.empty() || !ids.empty() ||
           min_wait != "0s";
  }
};

// apply_filter() drops the goroutines the filter does not keep; false (and a message)
// when the filter itself is bad.
bool apply_filter(const DumpFilter& f, gi::Snapshot& s) {
  for (const std::string& st : f.states) {
    if (st != "running" && st != "runnable" && st != "waiting" && st != "syscall") {
      std::fprintf(stderr, "gleak: --state: %s is not one of running, runnable, waiting, syscall\n", st.c_str());
      return false;
    }
  }
  int64_t min_wait = parse_duration(f.min_wait);
  if (min_wait < 0) {
    std::fprintf(stderr, "gleak: --min-wait: not a duration: %s (use 1m, 30s, 1h30m)\n", f.min_wait.c_str());
    return false;
  }
  std::optional<std::regex> match, created_by;
  try {
    if (!f.match.empty()) match.emplace(f.match, std::regex::ECMAScript | std::regex::optimize);
    if (!f.created_by.empty()) created_by.emplace(f.created_by, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "gleak: not a regular expression: %s\n", e.what());
    return false;
  }
  auto keep = [&](const gi::Goroutine& g) {
    auto in = [](const std::vector<std::string>& set, const std::string& v) {
      return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
    };
    if (!in(f.states, gleak::arena::goroutine_state_name(g.state))) return false;
    if (!f.wait_reasons.empty() &&
        (g.wait_reason == gi::WaitReason::kNone || !in(f.wait_reasons, gleak::arena::wait_reason_name(g.wait_reason)))) {
      return false;
    }
    if (!f.ids.empty() && std::find(f.ids.begin(), f.ids.end(), g.id) == f.ids.end()) return false;
    if (min_wait > 0 && g.wait_ns < min_wait) return false;
    if (match && std::none_of(g.stack.begin(), g.stack.end(),
                              [&](const gi::Frame& fr) { return std::regex_search(fr.function, *match); })) {
      return false;
    }
    if (created_by && (!g.created_by || !std::regex_search(g.created_by->function, *created_by))) return false;
    return true;
  };
  std::erase_if(s.goroutines, [&](const gi::Goroutine& g) { return !keep(g); });
  return true;
}

int cmd_dump(const std::string& target, const std::string& format, const std::string& output,
             const gi::TextOptions& text, bool consistent, bool leaks, const DumpFilter& filter) {
  if (format == "pprof" && (output.empty() || output == "-") && isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "gleak: a pprof profile is binary: write it to a file with -o goroutines.pb.gz\n");
    return kExitUsage;
  }
  gi::Snapshot nothing;
  if (filter.active() && !apply_filter(filter, nothing)) return kExitUsage;  // bad filters before stopping anything
  gi::ReadOptions opt;
  opt.consistent = consistent;
  opt.memory = leaks;
  gi::Snapshot s = read_target(target, opt);
  if (leaks) {
    // Proven leaks are marked in the dump: `goroutine 12 [chan send (leaked)]:`.
    gi::LeakOptions lo;
    lo.suspect_after_ns = 0;
    lo.max_holder_scans = 0;
    gi::mark_leaked(s, gi::find_leaks(s, lo));
    s.memory.reset();
  }
  std::size_t all = s.goroutines.size();
  if (filter.active() && !apply_filter(filter, s)) return kExitUsage;
  Output out(output);
  if (format == "pprof") {
    gi::write_goroutine_profile(s, text, out.get());
  } else if (format == "json") {
    std::string j = gi::to_json(s, text) + "\n";
    if (std::fwrite(j.data(), 1, j.size(), out.get()) != j.size() || std::fflush(out.get()) != 0) {
      throw gi::InspectError(gi::ErrorCode::kIo, std::string("writing the dump failed: ") + std::strerror(errno));
    }
  } else {
    std::FILE* f = out.get();
    std::fprintf(f, "# pid %d (%s, %s): %s\n", s.pid, source_name(s.source), gleak::arena::process_state_name(s.state),
                 s.cmdline.c_str());
    if (s.goroutines.size() != all) std::fprintf(f, "# %zu of %zu goroutines shown (filtered)\n", s.goroutines.size(), all);
    std::fprintf(f, "# %zu goroutines, %d workers%s", all, s.procs, s.consistent ? "; stopped while read" : "");
    if (s.consistent) std::fprintf(f, " for %.3f ms", static_cast<double>(s.stopped_ns) / 1e6);
    std::fprintf(f, "\n\n");
    if (!gi::write_dump(s, text, f)) {
      print_warnings(s);
      std::fprintf(stderr, "gleak: writing the dump failed: %s\n", std::strerror(errno));
      return static_cast<int>(gi::ErrorCode::kIo);
    }
  }
  out.close();
  print_warnings(s);
  return 0;
}

std::atomic<bool> g_interrupted{false};

// arena_of() is the arena file of a target: a pid's, or the path itself. A pid without
// one gets read_pid()'s error (no such process, not a gleak process...).
std::string arena_of(const std::string& target) {
  if (all_digits(target)) {
    int pid = std::stoi(target);
    std::string path = gi::find_arena(pid);
    if (path.empty()) {
      gi::ReadOptions quick;
      quick.symbolize = quick.stacks = quick.events = quick.objects = false;
      quick.consistent = false;
      gi::read_pid(pid, quick);  // throws the reason
      throw gi::InspectError(gi::ErrorCode::kNoSuchProcess, "no arena for pid " + target);
    }
    return path;
  }
  struct stat st;
  if (stat(target.c_str(), &st) != 0) {
    throw gi::InspectError(gi::ErrorCode::kNoSuchProcess, target + ": neither a pid nor an arena file");
  }
  return target;
}

int cmd_trace(const std::string& target, const std::string& output, int64_t duration_ns,
              const gi::TraceOptions& topt) {
  std::string path = arena_of(target);
  // Ctrl-C ends the recording early; the trace is still written.
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted.store(true); };
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  Output out(output);  // before recording: a bad path should not cost the whole duration
  gi::TraceOptions here = topt;
  here.host_pid = all_digits(target) ? std::stoi(target) : 0;  // a process in a container: its pid here
  gi::TraceInput in = gi::record_trace(path, duration_ns, here, &g_interrupted);
  gi::TraceSummary sum = gi::write_trace(in, topt, out.get());
  out.close();
  std::fprintf(stderr, "gleak: %s trace of pid %d: %zu goroutines (%zu tracks), %zu spans, %zu arrows, %zu events",
               in.flight_recorder ? "flight recorder" : "live", in.pid, sum.goroutines, sum.tracks, sum.spans,
               sum.flows, sum.events_used);
  std::fprintf(stderr, ", %llu lost to ring overflow\n", static_cast<unsigned long long>(sum.events_lost));
  for (const std::string& n : sum.notes) std::fprintf(stderr, "gleak: note: %s\n", n.c_str());
  return 0;
}

int cmd_leaks(const std::string& target, bool json, const gi::TextOptions& text, bool consistent, bool fork_copy,
              const gi::LeakOptions& lo) {
  gi::ReadOptions opt;
  opt.consistent = consistent;
  opt.memory = true;
  opt.fork_copy = fork_copy;
  gi::Snapshot s = read_target(target, opt);
  gi::LeakAnalysis r = gi::find_leaks(s, lo);
  gi::mark_leaked(s, r);
  if (lo.why != 0) {
    // --why: only the explanation; the exit status still says whether a leak is proven.
    std::cout << (json ? gi::why_to_json(s, r) + "\n" : gi::format_why(s, r));
    std::cout.flush();
    print_warnings(s);
    if (!r.why) return kExitUsage;
    return r.count(gi::Certainty::kProven) > 0 ? kExitLeaks : 0;
  }
  if (json) {
    std::cout << gi::leaks_to_json(s, r, text) << "\n";
  } else {
    std::printf("# pid %d (%s, %s): %s\n", s.pid, source_name(s.source), gleak::arena::process_state_name(s.state),
                s.cmdline.c_str());
    std::printf("# %zu goroutines; %s", s.goroutines.size(),
                r.memory_analysed ? ("memory analysed: " + std::to_string(r.bytes_scanned >> 10) + " KiB scanned, " +
                                     std::to_string(r.heap_blocks_marked) + " of " + std::to_string(r.heap_blocks) +
                                     " heap blocks reachable, " + std::to_string(r.analysis_ns / 1000000) + " ms")
                                        .c_str()
                                  : "memory not analysed");
    if (s.consistent) std::printf("; stopped while read for %.3f ms", static_cast<double>(s.stopped_ns) / 1e6);
    if (s.memory_from_copy) std::printf(" (memory read from a frozen copy)");
    std::printf("\n");
    std::cout << gi::format_leaks(s, r, text);
  }
  std::cout.flush();
  print_warnings(s);
  return r.count(gi::Certainty::kProven) > 0 ? kExitLeaks : 0;
}

// write_file() writes text to path; false (with a message) if it cannot.
bool write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  bool ok = f != nullptr && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (f != nullptr && std::fclose(f) != 0) ok = false;
  if (!ok) std::fprintf(stderr, "gleak: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
  return ok;
}

int cmd_run(const std::vector<std::string>& command, const std::string& junit, const std::string& json,
            const std::string& baseline, bool strict) {
  gi::GateOptions opt;
  opt.strict = strict;
  if (!baseline.empty()) opt.baseline = gi::read_baseline(baseline);
  gi::GateResult r = gi::run_gate(command, opt);
  std::fputs(gi::format_gate(r, opt).c_str(), stderr);
  bool written = true;
  if (!junit.empty()) written &= write_file(junit, gi::gate_to_junit(r, opt));
  if (!json.empty()) written &= write_file(json, gi::gate_to_json(r, opt));
  if (!written) return static_cast<int>(gi::ErrorCode::kIo);
  return r.exit_code;
}

int cmd_baseline(const std::vector<std::string>& command, const std::string& output, bool strict) {
  gi::GateOptions opt;
  opt.strict = strict;
  gi::GateResult r = gi::run_gate(command, opt);
  std::fputs(gi::format_gate(r, opt).c_str(), stderr);
  // A baseline holds leaks only: a run that crashed or never ran is no baseline.
  if (r.exit_code == gi::kGateNotRun || r.exit_code == gi::kGatePanic || r.exit_code == gi::kGateDeadlock) {
    std::fprintf(stderr, "gleak baseline: no baseline written\n");
    return r.exit_code;
  }
  std::string text = gi::format_baseline(r, opt);
  if (output.empty() || output == "-") {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  return write_file(output, text) ? 0 : static_cast<int>(gi::ErrorCode::kIo);
}

// ---- The subcommands: each has its options, the code that adds them, and its run. ----

// duration_option() reads a duration flag in Go's syntax into `ns`; false (and a
// message that shows `examples`) when it is not one, or shorter than `min_ns`.
bool duration_option(const char* flag, const std::string& value, int64_t min_ns, const char* examples,
                     int64_t& ns) {
  ns = parse_duration(value);
  if (ns >= min_ns) return true;
  if (min_ns > 0) {
    std::fprintf(stderr, "gleak: %s: not a duration of at least %s: %s\n", flag, examples, value.c_str());
  } else {
    std::fprintf(stderr, "gleak: %s: not a duration: %s (use %s)\n", flag, value.c_str(), examples);
  }
  return false;
}

struct DumpArgs {
  std::string target, format = "text", output;
  bool json = false, no_consistent = false, leaks = false;
  gi::TextOptions text;
  DumpFilter filter;
};

void dump_options(CLI::App& c, DumpArgs& a) {
  c.add_option("target", a.target, "pid, or the path of an arena file")->required();
  c.add_flag("--json", a.json, "print the versioned JSON schema instead of text (--format=json)");
  c.add_option("--format", a.format, "text, json, or pprof (a gzipped goroutine profile for go tool pprof)")
      ->check(CLI::IsMember({"text", "json", "pprof"}))
      ->capture_default_str();
  c.add_option("-o,--output", a.output, "write to this file instead of stdout");
  c.add_flag("--exact", a.text.exact, "exact wait durations (2m13.4s) instead of whole minutes");
  c.add_flag("--group", a.text.group, "bucket goroutines with identical stacks");
  c.add_flag("--all-frames", a.text.all_frames, "also show gleak's own runtime frames");
  c.add_flag("--no-consistent", a.no_consistent, "do not stop the target while reading it");
  c.add_option("--state", a.filter.states, "only goroutines in this state: running, runnable, waiting, syscall")
      ->delimiter(',');
  c.add_option("--wait-reason", a.filter.wait_reasons, "only goroutines waiting for this reason (\"chan receive\")");
  c.add_option("--match", a.filter.match, "only goroutines with a function matching this regex on their stack");
  c.add_option("--min-wait", a.filter.min_wait, "only goroutines that have waited at least this long (1m30s)");
  c.add_option("--created-by", a.filter.created_by, "only goroutines whose go() call is in a function matching this regex");
  c.add_option("--goroutine", a.filter.ids, "only this goroutine (repeatable)");
  c.add_flag("--leaks", a.leaks,
             "also analyse leaks and mark proven ones `(leaked)` (reads the target's memory from a frozen copy it forks)");
}

int dump_run(DumpArgs& a) {
  return cmd_dump(a.target, a.json ? "json" : a.format, a.output, a.text, !a.no_consistent, a.leaks, a.filter);
}

struct LeaksArgs {
  std::string target;
  bool json = false, no_consistent = false, no_fork = false;
  gi::TextOptions text;
  uint64_t why = 0;
  std::string suspect_after = std::to_string(gi::LeakOptions{}.suspect_after_ns / 1000000000) + "s";
};

void leaks_options(CLI::App& c, LeaksArgs& a) {
  c.add_option("target", a.target, "pid, or the path of an arena file")->required();
  c.add_flag("--json", a.json, "print the findings as JSON (schema gleak.leaks)");
  c.add_flag("--exact", a.text.exact, "exact wait durations");
  c.add_flag("--all-frames", a.text.all_frames, "also show gleak's own runtime frames");
  c.add_flag("--no-consistent", a.no_consistent, "do not stop the target while reading it");
  c.add_flag("--no-fork", a.no_fork,
             "keep the target stopped while its memory is copied, instead of reading a frozen copy it forks");
  c.add_option("--why", a.why, "explain why goroutine N is not leaked: the chain from a root to what it waits on")
      ->check(CLI::PositiveNumber);
  c.add_option("--suspect-after", a.suspect_after,
               "report goroutines blocked this long on a still reachable object as suspected (0: never)")
      ->capture_default_str();
}

int leaks_run(LeaksArgs& a) {
  gi::LeakOptions lo;
  if (!duration_option("--suspect-after", a.suspect_after, 0, "90s, 10m, 1h", lo.suspect_after_ns)) return kExitUsage;
  lo.why = a.why;
  return cmd_leaks(a.target, a.json, a.text, !a.no_consistent, !a.no_fork, lo);
}

struct DiffArgs {
  std::string a, b;
  bool json = false;
};

void diff_options(CLI::App& c, DiffArgs& a) {
  c.add_option("a", a.a, "pid, arena file, or a `gleak dump --json` file")->required();
  c.add_option("b", a.b, "pid, arena file, or a `gleak dump --json` file")->required();
  c.add_flag("--json", a.json, "print JSON (schema gleak.diff) instead of text");
}

int diff_run(DiffArgs& a) { return gleak::cli::run_diff(a.a, a.b, a.json); }

struct PsArgs {
  gleak::cli::PsOptions opt;
  std::string older_than = "0s";
};

void ps_options(CLI::App& c, PsArgs& a) {
  c.add_flag("--json", a.opt.json, "print JSON (schema gleak.ps) instead of a table");
  c.add_flag("--prune", a.opt.prune, "remove the arenas of processes that are gone (crashed, killed or exited)");
  c.add_option("--older-than", a.older_than, "with --prune: only arenas last written at least this long ago (10m, 1h30m)")
      ->capture_default_str();
}

int ps_run(PsArgs& a) {
  if (!duration_option("--older-than", a.older_than, 0, "10m, 1h30m, 2h", a.opt.older_than_ns)) return kExitUsage;
  return gleak::cli::run_ps(a.opt);
}

// gleak run and gleak baseline: a command to run, and what to write of it.
struct GateArgs {
  std::vector<std::string> command;
  std::string junit, json, baseline, output;
  bool strict = false;
};

void run_options(CLI::App& c, GateArgs& a) {
  c.add_option("command", a.command, "the command and its arguments, after --")->required();
  c.add_option("--junit", a.junit, "also write the findings as JUnit XML to this file");
  c.add_option("--json", a.json, "also write the findings as JSON (schema gleak.run) to this file");
  c.add_option("--baseline", a.baseline, "known leaks (from gleak baseline): reported, but they do not fail the run")
      ->check(CLI::ExistingFile);
  c.add_flag("--strict", a.strict, "also fail when any goroutine is still alive when its program ends");
}

int run_run(GateArgs& a) { return cmd_run(a.command, a.junit, a.json, a.baseline, a.strict); }

void baseline_options(CLI::App& c, GateArgs& a) {
  c.add_option("command", a.command, "the command and its arguments, after --")->required();
  c.add_option("-o,--output", a.output, "the baseline file to write (default: standard output)");
  c.add_flag("--strict", a.strict, "also list goroutines left at exit that are not proven leaked");
}

int baseline_run(GateArgs& a) { return cmd_baseline(a.command, a.output, a.strict); }

struct TraceArgs {
  std::string target, output, duration = "5s";
  gi::TraceOptions opt;
};

void trace_options(CLI::App& c, TraceArgs& a) {
  c.add_option("target", a.target, "pid, or the path of an arena file")->required();
  c.add_option("-o,--output", a.output, "the trace file to write (\"-\": stdout)")->required();
  c.add_option("--duration", a.duration, "how long to follow a live process (Ctrl-C ends it early)")
      ->capture_default_str();
  c.add_option("--max-events", a.opt.max_events, "keep at most this many events, the most recent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  c.add_option("--max-goroutines", a.opt.max_goroutines, "give at most this many goroutines a track")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

int trace_run(TraceArgs& a) {
  int64_t d = 0;
  if (!duration_option("--duration", a.duration, 0, "5s, 1500ms, 1m", d)) return kExitUsage;
  return cmd_trace(a.target, a.output, d, a.opt);
}

struct TopArgs {
  std::string target, refresh = "1s", leaks_every = "10s";
  long iterations = -1;
};

void top_options(CLI::App& c, TopArgs& a) {
  c.add_option("target", a.target, "pid, or the path of an arena file")->required();
  c.add_option("--refresh", a.refresh, "time between refreshes")->capture_default_str();
  c.add_option("--leaks-every", a.leaks_every,
               "how often to run the leak analysis, which stops the target briefly (0: only on the l key)")
      ->capture_default_str();
  c.add_option("-n,--iterations", a.iterations, "refreshes before exiting (0: until q; default: 0 on a terminal, else 1)");
}

int top_run(TopArgs& a) {
  gleak::cli::TopOptions o;
  o.iterations = a.iterations;
  if (!duration_option("--refresh", a.refresh, 100'000'000, "100ms", o.refresh_ns) ||
      !duration_option("--leaks-every", a.leaks_every, 0, "10s, 1m, 0", o.leaks_every_ns)) {
    return kExitUsage;
  }
  if (a.iterations < -1) {
    std::fprintf(stderr, "gleak: --iterations: must be 0 or more\n");
    return kExitUsage;
  }
  o.host_pid = all_digits(a.target) ? std::stoi(a.target) : 0;
  return gleak::cli::run_top(arena_of(a.target), o);
}

struct AgentArgs {
  gleak::cli::AgentOptions opt;
  std::string leaks_every = "5m", timeout = "10s", min_stop_interval = "1s";
};

void agent_options(CLI::App& c, AgentArgs& a) {
  c.add_option("--listen", a.opt.listen, "host:port (port 0: any free one), or unix:/path")->capture_default_str();
  c.add_option("--token-file", a.opt.token_file,
               "a file with a bearer token every request must carry (Authorization: Bearer <token>)");
  c.add_option("--leaks-every", a.leaks_every,
               "time between leak analyses of every running process, each stopping it briefly (0: none)")
      ->capture_default_str();
  c.add_option("--max-requests", a.opt.max_requests, "requests served at once; more get 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  c.add_option("--timeout", a.timeout, "drop a request that takes longer to read or to answer")->capture_default_str();
  c.add_option("--min-stop-interval", a.min_stop_interval,
               "a request may stop a process at most once in this time; sooner ones get 429")
      ->capture_default_str();
}

int agent_run(AgentArgs& a) {
  if (!duration_option("--leaks-every", a.leaks_every, 0, "5m, 30s, 0", a.opt.leaks_every_ns) ||
      !duration_option("--min-stop-interval", a.min_stop_interval, 0, "1s, 500ms, 0", a.opt.min_stop_interval_ns) ||
      !duration_option("--timeout", a.timeout, 1'000'000'000, "1s", a.opt.timeout_ns)) {
    return kExitUsage;
  }
  return gleak::cli::run_agent(a.opt);
}

// The options of every subcommand; only the parsed one's are used.
struct Args {
  DumpArgs dump;
  LeaksArgs leaks;
  DiffArgs diff;
  PsArgs ps;
  GateArgs gate;
  TraceArgs trace;
  TopArgs top;
  AgentArgs agent;
};

// One subcommand: its name, its help line, the options it adds, and what it runs.
struct Subcommand {
  const char* name;
  const char* help;
  std::function<void(CLI::App&, Args&)> options;
  std::function<int(Args&)> run;
};

// on() makes a subcommand's option and run functions take the whole Args, given the
// part of it they use.
template <typename Part>
Subcommand on(const char* name, const char* help, Part Args::*part, void (*options)(CLI::App&, Part&),
              int (*run)(Part&)) {
  return {name, help, [=](CLI::App& c, Args& a) { options(c, a.*part); }, [=](Args& a) { return run(a.*part); }};
}

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> table = {
      on("dump", "print every goroutine of a process (live, hung or dead), Go style", &Args::dump, dump_options,
         dump_run),
      on("leaks", "find goroutines that can never finish, with the proof of each", &Args::leaks, leaks_options,
         leaks_run),
      on("diff", "how the goroutines of A and B differ, bucket by bucket (a slow leak grows one)", &Args::diff,
         diff_options, diff_run),
      on("ps", "list the processes of this user (as root: of every user) that run gleak", &Args::ps, ps_options,
         ps_run),
      on("run", "run a command; fail on goroutine leaks, deadlocks and panics of the gleak programs it runs (a CI gate)",
         &Args::gate, run_options, run_run),
      on("baseline", "run a command as gleak run does and write its leaks as a baseline file", &Args::gate,
         baseline_options, baseline_run),
      on("trace",
         "record the event rings as a Chrome/Perfetto trace (a live process for --duration; a dead one's last events)",
         &Args::trace, trace_options, trace_run),
      on("top", "a live view of a process's goroutines, refreshed every second (q quits)", &Args::top, top_options,
         top_run),
      on("agent", "serve every gleak process here over HTTP: Prometheus /metrics, /debug/pprof/goroutine, leaks",
         &Args::agent, agent_options, agent_run),
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gleak — goroutine dumps, leak and panic diagnostics for gleak programs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gleak " GLEAK_VERSION);
  Args args;
  std::vector<std::pair<CLI::App*, const Subcommand*>> added;
  for (const Subcommand& sub : subcommands()) {
    CLI::App* c = app.add_subcommand(sub.name, sub.help);
    sub.options(*c, args);
    added.emplace_back(c, &sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  try {
    for (const auto& [c, sub] : added) {
      if (c->parsed()) return sub->run(args);
    }
    return kExitUsage;  // require_subcommand(1) makes this unreachable
  } catch (const gi::InspectError& e) {
    std::fprintf(stderr, "gleak: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gleak: %s\n", e.what());
    return static_cast<int>(gi::ErrorCode::kIo);
  }
}
