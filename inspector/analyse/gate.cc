// inspector/analyse/gate.cc — running and checking a command for `gleak run` (see gate.h).
#include "inspector/analyse/gate.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include "inspector/read/arena_file.h"
#include "inspector/errors.h"
#include "inspector/analyse/leaks.h"
#include "inspector/report/leaks_report.h"
#include "inspector/read/reader.h"
#include "inspector/report/report_text.h"

extern char** environ;

namespace gleak::inspector {
namespace {

constexpr const char* kDeadlockMessage = "fatal error: all goroutines are asleep - deadlock!";

// EnvOverride sets an environment variable for the gate's lifetime (the command
// inherits it) and puts the old value back.
class EnvOverride {
 public:
  EnvOverride(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~EnvOverride() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string created_by_function(const Goroutine& g) { return g.created_by ? g.created_by->function : ""; }

// status_of() is the goroutine's status as a dump shows it, without `(leaked)`.
std::string status_of(const Goroutine& g) {
  Goroutine plain = g;
  plain.leaked = false;
  return goroutine_status(plain);
}

std::string join_tab(std::initializer_list<std::string> fields) {
  std::string out;
  for (const std::string& f : fields) {
    if (!out.empty()) out += '\t';
    // A tab or newline inside a field would split the signature's line.
    for (char c : f) out += (c == '\t' || c == '\n') ? ' ' : c;
  }
  return out;
}

std::string program_name(const Snapshot& s) { return s.cmdline.empty() ? s.exe : s.cmdline; }

// only() is s with just these goroutines (and no crash): what a finding's dump shows.
Snapshot only(const Snapshot& s, const std::vector<uint64_t>& ids) {
  Snapshot out = s;
  out.goroutines.clear();
  out.crash.reset();
  out.memory.reset();
  for (const Goroutine& g : s.goroutines) {
    if (std::find(ids.begin(), ids.end(), g.id) != ids.end()) out.goroutines.push_back(g);
  }
  return out;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// read_at_exit() reads a program that waits in its exit check and analyses its leaks;
// the error's text when it cannot be read.
std::optional<std::string> read_at_exit(int pid, Snapshot& s, LeakAnalysis& report) {
  ReadOptions ro;
  ro.memory = true;
  ro.events = false;
  LeakOptions lo;
  lo.suspect_after_ns = 0;
  // A worker may hold a reference to the object a goroutine has just parked on for a
  // moment after the switch (docs/leaks.md): a read in that moment proves less. The
  // program waits for the gate, so read again while blocked goroutines stay unproven;
  // a proof is valid whenever it is made, so this hides no false positive.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Snapshot now;
    try {
      now = read_pid(pid, ro);
    } catch (const InspectError& e) {
      if (attempt > 0) break;
      return std::string(e.what());
    }
    LeakAnalysis r = find_leaks(now, lo);
    if (attempt == 0 || r.count(Certainty::kProven) > report.count(Certainty::kProven)) {
      s = std::move(now);
      report = std::move(r);
    }
    bool unproven = std::any_of(s.goroutines.begin(), s.goroutines.end(), [&](const Goroutine& g) {
      const LeakVerdict* f = report.find(g.id);
      return g.state == GoroutineState::kWaiting && (f == nullptr || f->certainty != Certainty::kProven);
    });
    if (!unproven) break;
    usleep(10000);
  }
  return std::nullopt;
}

// group_findings() makes one finding per signature of the goroutines left: a thousand
// goroutines leaked at the same place are one bug. It counts them into proc.
std::vector<GateFinding> group_findings(const Snapshot& s, const LeakAnalysis& report, GateProcess& proc) {
  std::map<std::string, GateFinding> groups;
  std::vector<std::string> order;
  for (const Goroutine& g : s.goroutines) {
    ++proc.goroutines_left;
    const LeakVerdict* lf = report.find(g.id);
    bool proven = lf != nullptr && lf->certainty == Certainty::kProven;
    proc.leaks_proven += proven;
    FindingKind kind = proven ? FindingKind::kLeak : FindingKind::kLeft;
    std::string status = status_of(g);
    std::string function = innermost_own_function(g);
    std::string creator = created_by_function(g);
    std::string sig = join_tab({finding_kind_name(kind), status, creator, function});
    auto [it, added] = groups.try_emplace(sig);
    GateFinding& f = it->second;
    if (added) {
      order.push_back(sig);
      f.kind = kind;
      f.pid = proc.pid;
      f.program = proc.program;
      f.signature = sig;
      f.wait_reason = status;
      f.function = function;
      f.created_by = creator;
    }
    f.goroutines.push_back(g.id);
  }
  std::vector<GateFinding> out;
  for (const std::string& sig : order) out.push_back(std::move(groups[sig]));
  return out;
}

// report_of() is the part of a leak report about these goroutines: their findings,
// and the cycles they are in.
LeakAnalysis report_of(const LeakAnalysis& report, const std::vector<uint64_t>& ids) {
  auto has = [&](uint64_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); };
  LeakAnalysis mine = report;
  mine.findings.clear();
  mine.cycles.clear();
  for (const LeakVerdict& x : report.findings) {
    if (has(x.goroutine)) mine.findings.push_back(x);
  }
  for (const DeadlockCycle& c : report.cycles) {
    if (std::any_of(c.steps.begin(), c.steps.end(), [&](const CycleStep& st) { return has(st.goroutine); })) {
      mine.cycles.push_back(c);
    }
  }
  return mine;
}

// describe() writes a finding's summary line and its details: the proofs of a leak,
// the dump of goroutines left.
void describe(GateFinding& f, const Snapshot& s, const LeakAnalysis& report) {
  TextOptions text;
  text.exact = true;
  text.group = true;
  std::string where = f.function.empty() ? "" : ", in " + f.function;
  std::string count = plural(f.goroutines.size(), "goroutine", "goroutines");
  if (f.kind == FindingKind::kLeak) {
    f.summary = count + " leaked [" + f.wait_reason + "]" + where;
    f.details = format_leaks(s, report_of(report, f.goroutines), text);
  } else {
    f.summary = count + " still alive at exit [" + f.wait_reason + "]" + where;
    f.details = format_dump(only(s, f.goroutines), text);
  }
}

// check_at_exit() reads a program that waits in its exit check and adds what is left
// in it to the result.
void check_at_exit(int pid, GateResult& result) {
  GateProcess proc;
  proc.pid = pid;
  Snapshot s;
  LeakAnalysis report;
  if (std::optional<std::string> error = read_at_exit(pid, s, report)) {
    proc.note = *error;
    result.processes.push_back(proc);
    return;
  }
  proc.program = program_name(s);
  proc.checked_at_exit = true;
  mark_leaked(s, report);
  for (const std::string& w : s.warnings) result.warnings.push_back("pid " + std::to_string(pid) + ": " + w);
  if (!report.complete) {
    result.warnings.push_back("pid " + std::to_string(pid) +
                              ": part of its memory could not be read; leaks there are only suspected");
  }
  for (GateFinding& f : group_findings(s, report, proc)) {
    describe(f, s, report);
    result.findings.push_back(std::move(f));
  }
  result.processes.push_back(proc);
}

// check_dead() reads an arena a program left behind: a crash, or a program killed
// before its exit check.
void check_dead(const std::string& path, GateResult& result) {
  ReadOptions ro;
  ro.events = false;
  Snapshot s;
  try {
    s = read_file(path, ro);
  } catch (const InspectError& e) {
    result.warnings.push_back(std::string("could not read ") + path + ": " + e.what());
    return;
  }
  GateProcess proc;
  proc.pid = s.pid;
  proc.program = program_name(s);
  if (!s.crash) {
    proc.note = "ended without its exit check (killed by a signal, or _exit())";
    result.processes.push_back(proc);
    return;
  }
  proc.crashed = true;
  proc.goroutines_left = static_cast<int>(s.goroutines.size());
  result.processes.push_back(proc);

  GateFinding f;
  f.pid = s.pid;
  f.program = proc.program;
  f.message = s.crash->message;
  f.kind = first_line(f.message) == kDeadlockMessage ? FindingKind::kDeadlock : FindingKind::kPanic;
  for (const Goroutine& g : s.goroutines) {
    if (g.crashed) {
      f.goroutines.push_back(g.id);
      f.function = innermost_own_function(g);
      f.created_by = created_by_function(g);
    }
  }
  if (f.function.empty()) {
    for (const Frame& fr : s.crash->stack) {
      if (!fr.runtime && !fr.function.empty()) {
        f.function = fr.function;
        break;
      }
    }
  }
  f.signature = join_tab({finding_kind_name(f.kind), first_line(f.message), f.created_by, f.function});
  f.summary = first_line(f.message) + (f.function.empty() ? "" : " (in " + f.function + ")");
  TextOptions text;
  text.exact = true;
  text.group = true;
  f.details = format_dump(s, text);
  result.findings.push_back(std::move(f));
}

// GateDir is the private arena directory of one gate run, with its socket. It is made
// in the caller's arena directory, which must be the caller's and writable by nobody
// else (check_arena_dir()); it is then held open, and cleaned up through that handle,
// so that nothing outside it is ever removed, whatever a path may have become.
class GateDir {
 public:
  GateDir() {
    std::string base = arena_dirs().front();
    if (mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) {
      throw InspectError(ErrorCode::kIo, "cannot create " + base + ": " + std::strerror(errno));
    }
    if (std::string why = check_arena_dir(base, true); !why.empty()) throw InspectError(ErrorCode::kPermission, why);
    base_fd_ = open(base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (base_fd_ < 0) throw InspectError(ErrorCode::kIo, "cannot open " + base + ": " + std::strerror(errno));
    std::string tmpl = base + "/run-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      int e = errno;
      close(base_fd_);
      throw InspectError(ErrorCode::kIo, "cannot create a directory in " + base + ": " + std::strerror(e));
    }
    path_ = tmpl;
    name_ = tmpl.substr(base.size() + 1);
    dir_fd_ = openat(base_fd_, name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dir_fd_ < 0 || fstat(dir_fd_, &st) != 0 || st.st_uid != geteuid()) {
      std::string why = dir_fd_ < 0 ? std::strerror(errno) : "it is not the directory just made";
      cleanup();
      throw InspectError(ErrorCode::kIo, "cannot open " + path_ + ": " + why);
    }
    socket_ = path_ + "/gate.sock";
    sockaddr_un addr{};
    if (socket_.size() >= sizeof addr.sun_path) {
      cleanup();
      throw InspectError(ErrorCode::kIo, "the arena directory's path is too long for a socket: " + socket_);
    }
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, socket_.c_str(), socket_.size() + 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 128) != 0) {
      std::string why = std::strerror(errno);
      cleanup();
      throw InspectError(ErrorCode::kIo, "cannot listen on " + socket_ + ": " + why);
    }
  }
  ~GateDir() { cleanup(); }
  GateDir(const GateDir&) = delete;
  GateDir& operator=(const GateDir&) = delete;

  const std::string& path() const { return path_; }
  const std::string& socket_path() const { return socket_; }
  int fd() const { return fd_; }

  // arenas() are the arena files the programs left: regular files of ours, no links.
  std::vector<std::string> arenas() const {
    std::vector<std::string> out;
    for (const std::string& name : names()) {
      struct stat st;
      if (name.size() > 6 && name.substr(name.size() - 6) == ".arena" &&
          fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
          st.st_uid == geteuid()) {
        out.push_back(path_ + "/" + name);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    if (dir_fd_ < 0) return out;
    int fd = dup(dir_fd_);
    if (fd < 0) return out;
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      close(fd);
      return out;
    }
    rewinddir(d);
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    closedir(d);
    return out;
  }

  void cleanup() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (dir_fd_ >= 0) {
      // Only entries of this directory: a subdirectory a program made is left alone.
      for (const std::string& name : names()) unlinkat(dir_fd_, name.c_str(), 0);
      close(dir_fd_);
      dir_fd_ = -1;
    }
    if (base_fd_ >= 0) {
      if (!name_.empty()) unlinkat(base_fd_, name_.c_str(), AT_REMOVEDIR);
      close(base_fd_);
      base_fd_ = -1;
    }
    path_.clear();
  }

  std::string path_;
  std::string name_;  // of the run directory, in the base directory
  std::string socket_;
  int base_fd_ = -1;
  int dir_fd_ = -1;
  int fd_ = -1;
};

// serve() takes one program that reached its exit check, checks it and lets it go.
void serve(int listen_fd, GateResult& result) {
  int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) check_at_exit(cred.pid, result);
  char done = 1;
  (void)!write(conn, &done, 1);
  close(conn);
}

}  // namespace

const char* finding_kind_name(FindingKind k) {
  switch (k) {
    case FindingKind::kLeak: return "leak";
    case FindingKind::kLeft: return "left";
    case FindingKind::kDeadlock: return "deadlock";
    case FindingKind::kPanic: return "panic";
  }
  return "?";
}

GateResult run_gate(const std::vector<std::string>& command, const GateOptions& opt) {
  GateResult result;
  result.command = command;
  GateDir dir;
  EnvOverride arena_dir(arena::kDirEnv, dir.path());
  EnvOverride gate(arena::kGateEnv, dir.socket_path());

  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t child = -1;
  int err = posix_spawnp(&child, argv[0], nullptr, nullptr, argv.data(), environ);
  if (err != 0) {
    result.error = command[0] + ": " + std::strerror(err);
    result.exit_code = gate_exit_code(result, opt);
    return result;
  }
  result.started = true;
  // While the command runs the gate only waits; a Ctrl-C meant for the command must
  // not end the gate before it has reported.
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);

  // A pidfd turns readable when the command ends, so one poll waits for either; on a
  // kernel without pidfds (before 5.3) the loop looks every 50 ms instead.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  int status = 0;
  for (;;) {
    pollfd p[2] = {{dir.fd(), POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50) > 0 && (p[0].revents & POLLIN)) serve(dir.fd(), result);
    pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child) break;
    if (w < 0 && errno != EINTR) break;
  }
  if (pidfd >= 0) close(pidfd);
  // Descendants that reached their exit check before the command ended.
  for (pollfd p{dir.fd(), POLLIN, 0}; poll(&p, 1, 0) > 0 && (p.revents & POLLIN); p.revents = 0) serve(dir.fd(), result);
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGQUIT, &old_quit, nullptr);
  result.command_status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 0;

  for (const std::string& path : dir.arenas()) check_dead(path, result);
  for (GateFinding& f : result.findings) f.in_baseline = opt.baseline.count(f.signature) > 0;
  result.exit_code = gate_exit_code(result, opt);
  return result;
}

int gate_exit_code(const GateResult& r, const GateOptions& opt) {
  if (!r.started) return kGateNotRun;
  auto any = [&](FindingKind k) {
    return std::any_of(r.findings.begin(), r.findings.end(),
                       [&](const GateFinding& f) { return f.kind == k && !f.in_baseline; });
  };
  if (any(FindingKind::kPanic)) return kGatePanic;
  if (any(FindingKind::kDeadlock)) return kGateDeadlock;
  if (any(FindingKind::kLeak)) return kGateLeaks;
  if (opt.strict && any(FindingKind::kLeft)) return kGateLeft;
  if (r.command_status != 0) return kGateCommandFailed;
  return kGateClean;
}

std::set<std::string> read_baseline(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InspectError(ErrorCode::kIo, "cannot read the baseline " + path + ": " + std::strerror(errno));
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.insert(line);
  }
  return out;
}

}  // namespace gleak::inspector
