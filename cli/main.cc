// cli/main.cc — the gleak command: argument parsing and output only; the work is the
// inspector's.
//
// Exit codes: 0 success (gleak leaks: no proven leak); 1 gleak leaks proved a leak; 2 usage error; 3 no such process;
// 4 not a gleak process; 5 permission denied; 6 corrupt or incompatible arena; 7 other
// I/O error. gleak run and gleak baseline: see inspector/gate.h and docs/ci.md (0 clean,
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
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "inspector/arena_file.h"
#include "inspector/errors.h"
#include "inspector/gate.h"
#include "inspector/leaks.h"
#include "inspector/pprof.h"
#include "inspector/reader.h"
#include "inspector/report_json.h"
#include "inspector/report_text.h"
#include "inspector/trace.h"
#include "core/duration.h"
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

int cmd_leaks(const std::string& target, bool json, const gi::TextOptions& text, bool consistent,
              const gi::LeakOptions& lo) {
  gi::ReadOptions opt;
  opt.consistent = consistent;
  opt.memory = true;
  gi::Snapshot s = read_target(target, opt);
  gi::LeakReport r = gi::find_leaks(s, lo);
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


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gleak — goroutine dumps, leak and panic diagnostics for gleak programs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gleak " GLEAK_VERSION);

  std::string target;
  bool json = false, no_consistent = false;
  gi::TextOptions text;
  auto* dump = app.add_subcommand("dump", "print every goroutine of a process (live, hung or dead), Go style");
  dump->add_option("target", target, "pid, or the path of an arena file")->required();
  dump->add_flag("--json", json, "print the versioned JSON schema instead of text (--format=json)");
  std::string format = "text", output;
  dump->add_option("--format", format, "text, json, or pprof (a gzipped goroutine profile for go tool pprof)")
      ->check(CLI::IsMember({"text", "json", "pprof"}))
      ->capture_default_str();
  dump->add_option("-o,--output", output, "write to this file instead of stdout");
  dump->add_flag("--exact", text.exact, "exact wait durations (2m13.4s) instead of whole minutes");
  dump->add_flag("--group", text.group, "bucket goroutines with identical stacks");
  dump->add_flag("--all-frames", text.all_frames, "also show gleak's own runtime frames");
  dump->add_flag("--no-consistent", no_consistent, "do not stop the target while reading it");
  DumpFilter filter;
  dump->add_option("--state", filter.states, "only goroutines in this state: running, runnable, waiting, syscall")
      ->delimiter(',');
  dump->add_option("--wait-reason", filter.wait_reasons, "only goroutines waiting for this reason (\"chan receive\")");
  dump->add_option("--match", filter.match, "only goroutines with a function matching this regex on their stack");
  dump->add_option("--min-wait", filter.min_wait, "only goroutines that have waited at least this long (1m30s)");
  dump->add_option("--created-by", filter.created_by, "only goroutines whose go() call is in a function matching this regex");
  dump->add_option("--goroutine", filter.ids, "only this goroutine (repeatable)");
  bool mark_leaks = false;
  dump->add_flag("--leaks", mark_leaks,
                 "also analyse leaks and mark proven ones `(leaked)` (copies the target's memory: it is stopped longer)");

  auto* leaks = app.add_subcommand("leaks", "find goroutines that can never finish, with the proof of each");
  leaks->add_option("target", target, "pid, or the path of an arena file")->required();
  leaks->add_flag("--json", json, "print the findings as JSON (schema gleak.leaks)");
  leaks->add_flag("--exact", text.exact, "exact wait durations");
  leaks->add_flag("--all-frames", text.all_frames, "also show gleak's own runtime frames");
  leaks->add_flag("--no-consistent", no_consistent, "do not stop the target while reading it");
  uint64_t why = 0;
  leaks->add_option("--why", why,
                    "explain why goroutine N is not leaked: the chain from a root to what it waits on")
      ->check(CLI::PositiveNumber);
  std::string suspect_after = std::to_string(gi::LeakOptions{}.suspect_after_ns / 1000000000) + "s";
  leaks->add_option("--suspect-after", suspect_after,
                    "report goroutines blocked this long on a still reachable object as suspected (0: never)")
      ->capture_default_str();

  auto* diff = app.add_subcommand("diff", "how the goroutines of A and B differ, bucket by bucket (a slow leak grows one)");
  std::string diff_a, diff_b;
  bool diff_json = false;
  diff->add_option("a", diff_a, "pid, arena file, or a `gleak dump --json` file")->required();
  diff->add_option("b", diff_b, "pid, arena file, or a `gleak dump --json` file")->required();
  diff->add_flag("--json", diff_json, "print JSON (schema gleak.diff) instead of text");
  auto* ps = app.add_subcommand("ps", "list the processes of this user (as root: of every user) that run gleak");
  gleak::cli::PsOptions ps_opt;
  std::string older_than = "0s";
  ps->add_flag("--json", ps_opt.json, "print JSON (schema gleak.ps) instead of a table");
  ps->add_flag("--prune", ps_opt.prune, "remove the arenas of processes that are gone (crashed, killed or exited)");
  ps->add_option("--older-than", older_than, "with --prune: only arenas last written at least this long ago (10m, 1h30m)")
      ->capture_default_str();

  std::vector<std::string> command;
  std::string junit, json_out, baseline;
  bool strict = false;
  auto* run = app.add_subcommand(
      "run", "run a command; fail on goroutine leaks, deadlocks and panics of the gleak programs it runs (a CI gate)");
  run->add_option("command", command, "the command and its arguments, after --")->required();
  run->add_option("--junit", junit, "also write the findings as JUnit XML to this file");
  run->add_option("--json", json_out, "also write the findings as JSON (schema gleak.run) to this file");
  run->add_option("--baseline", baseline, "known leaks (from gleak baseline): reported, but they do not fail the run")
      ->check(CLI::ExistingFile);
  run->add_flag("--strict", strict, "also fail when any goroutine is still alive when its program ends");
  auto* base = app.add_subcommand("baseline", "run a command as gleak run does and write its leaks as a baseline file");
  base->add_option("command", command, "the command and its arguments, after --")->required();
  base->add_option("-o,--output", output, "the baseline file to write (default: standard output)");
  base->add_flag("--strict", strict, "also list goroutines left at exit that are not proven leaked");

  auto* trace = app.add_subcommand(
      "trace", "record the event rings as a Chrome/Perfetto trace (a live process for --duration; a dead one's last events)");
  trace->add_option("target", target, "pid, or the path of an arena file")->required();
  trace->add_option("-o,--output", output, "the trace file to write (\"-\": stdout)")->required();
  std::string duration = "5s";
  trace->add_option("--duration", duration, "how long to follow a live process (Ctrl-C ends it early)")
      ->capture_default_str();
  gi::TraceOptions topt;
  trace->add_option("--max-events", topt.max_events, "keep at most this many events, the most recent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  trace->add_option("--max-goroutines", topt.max_goroutines, "give at most this many goroutines a track")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  auto* top = app.add_subcommand("top", "a live view of a process's goroutines, refreshed every second (q quits)");
  top->add_option("target", target, "pid, or the path of an arena file")->required();
  std::string refresh = "1s", leaks_every = "10s";
  long iterations = -1;
  top->add_option("--refresh", refresh, "time between refreshes")->capture_default_str();
  top->add_option("--leaks-every", leaks_every,
                  "how often to run the leak analysis, which stops the target briefly (0: only on the l key)")
      ->capture_default_str();
  top->add_option("-n,--iterations", iterations,
                  "refreshes before exiting (0: until q; default: 0 on a terminal, else 1)");

  auto* agent = app.add_subcommand(
      "agent", "serve every gleak process here over HTTP: Prometheus /metrics, /debug/pprof/goroutine, leaks");
  gleak::cli::AgentOptions agent_opt;
  std::string agent_leaks_every = "5m", agent_timeout = "10s";
  agent->add_option("--listen", agent_opt.listen, "host:port (port 0: any free one), or unix:/path")
      ->capture_default_str();
  agent->add_option("--token-file", agent_opt.token_file,
                    "a file with a bearer token every request must carry (Authorization: Bearer <token>)");
  agent->add_option("--leaks-every", agent_leaks_every,
                    "time between leak analyses of every running process, each stopping it briefly (0: none)")
      ->capture_default_str();
  agent->add_option("--max-requests", agent_opt.max_requests, "requests served at once; more get 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  agent->add_option("--timeout", agent_timeout, "drop a request that takes longer to read or to answer")
      ->capture_default_str();
  std::string agent_min_stop = "1s";
  agent->add_option("--min-stop-interval", agent_min_stop,
                    "a request may stop a process at most once in this time; sooner ones get 429")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  try {
    if (dump->parsed()) return cmd_dump(target, json ? "json" : format, output, text, !no_consistent, mark_leaks, filter);
    if (trace->parsed()) {
      int64_t d = parse_duration(duration);
      if (d < 0) {
        std::fprintf(stderr, "gleak: --duration: not a duration: %s (use 5s, 1500ms, 1m)\n", duration.c_str());
        return kExitUsage;
      }
      return cmd_trace(target, output, d, topt);
    }
    if (top->parsed()) {
      gleak::cli::TopOptions o;
      o.refresh_ns = parse_duration(refresh);
      o.leaks_every_ns = parse_duration(leaks_every);
      o.iterations = iterations;
      if (o.refresh_ns < 100'000'000) {
        std::fprintf(stderr, "gleak: --refresh: not a duration of at least 100ms: %s\n", refresh.c_str());
        return kExitUsage;
      }
      if (o.leaks_every_ns < 0) {
        std::fprintf(stderr, "gleak: --leaks-every: not a duration: %s (use 10s, 1m, 0)\n", leaks_every.c_str());
        return kExitUsage;
      }
      if (iterations < -1) {
        std::fprintf(stderr, "gleak: --iterations: must be 0 or more\n");
        return kExitUsage;
      }
      o.host_pid = all_digits(target) ? std::stoi(target) : 0;
      return gleak::cli::run_top(arena_of(target), o);
    }
    if (leaks->parsed()) {
      gi::LeakOptions lo;
      lo.suspect_after_ns = parse_duration(suspect_after);
      if (lo.suspect_after_ns < 0) {
        std::fprintf(stderr, "gleak: --suspect-after: not a duration: %s (use 90s, 10m, 1h)\n", suspect_after.c_str());
        return kExitUsage;
      }
      lo.why = why;
      return cmd_leaks(target, json, text, !no_consistent, lo);
    }
    if (run->parsed()) return cmd_run(command, junit, json_out, baseline, strict);
    if (base->parsed()) return cmd_baseline(command, output, strict);
    if (diff->parsed()) return gleak::cli::run_diff(diff_a, diff_b, diff_json);
    if (agent->parsed()) {
      agent_opt.leaks_every_ns = parse_duration(agent_leaks_every);
      agent_opt.timeout_ns = parse_duration(agent_timeout);
      if (agent_opt.leaks_every_ns < 0) {
        std::fprintf(stderr, "gleak: --leaks-every: not a duration: %s (use 5m, 30s, 0)\n", agent_leaks_every.c_str());
        return kExitUsage;
      }
      agent_opt.min_stop_interval_ns = parse_duration(agent_min_stop);
      if (agent_opt.min_stop_interval_ns < 0) {
        std::fprintf(stderr, "gleak: --min-stop-interval: not a duration: %s (use 1s, 500ms, 0)\n",
                     agent_min_stop.c_str());
        return kExitUsage;
      }
      if (agent_opt.timeout_ns < 1'000'000'000) {
        std::fprintf(stderr, "gleak: --timeout: not a duration of at least 1s: %s\n", agent_timeout.c_str());
        return kExitUsage;
      }
      return gleak::cli::run_agent(agent_opt);
    }
    ps_opt.older_than_ns = parse_duration(older_than);
    if (ps_opt.older_than_ns < 0) {
      std::fprintf(stderr, "gleak: --older-than: not a duration: %s (use 10m, 1h30m, 2h)\n", older_than.c_str());
      return kExitUsage;
    }
    return gleak::cli::run_ps(ps_opt);
  } catch (const gi::InspectError& e) {
    std::fprintf(stderr, "gleak: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gleak: %s\n", e.what());
    return static_cast<int>(gi::ErrorCode::kIo);
  }
}
