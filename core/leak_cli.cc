// core/leak_cli.cc — find_leaks() (gleak/leaks.h) and running `gleak leaks` on this
// process (core/internal/leak_cli.h).
#include "gleak/leaks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "arena/clock.h"
#include "core/internal/leak_cli.h"
#include "gleak/runtime.h"

extern char** environ;

// gleak_build_tree_cli() is the gleak command of the build tree a program was built in;
// only programs built there define it (core/CMakeLists.txt).
extern "C" const char* gleak_build_tree_cli() __attribute__((weak));

namespace gleak {
namespace internal {
namespace {

bool executable(const std::string& path) { return !path.empty() && access(path.c_str(), X_OK) == 0; }

// The child's half of the spawn: only async-signal-safe calls between fork and exec.
[[noreturn]] void exec_child(int go_fd, int out_fd, int err_fd, const char* path, char* const* argv, char* const* envp) {
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  // Wait until the parent has allowed us to trace it (Yama's ptrace_scope 1).
  char c;
  while (read(go_fd, &c, 1) < 0 && errno == EINTR) {
  }
  // Nothing of the program's but the pipes: no socket or file it holds open.
  syscall(SYS_close_range, 3u, ~0u, 0u);
  execve(path, argv, envp);
  static const char msg[] = "cannot run the gleak command\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(127);
}

// drain() reads both pipes until the child closes them; false if the deadline passed.
bool drain(int out_fd, int err_fd, int64_t deadline_ns, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  char buf[1 << 16];
  while (open > 0) {
    int64_t left = deadline_ns - monotonic_ns();
    if (left <= 0) return false;
    int rc = poll(fds, 2, static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 1 << 30)));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (rc == 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err)->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

// child_env() is this process's environment without DEBUGINFOD_URLS.
std::vector<char*> child_env() {
  std::vector<char*> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "DEBUGINFOD_URLS=", 16) != 0) env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string leak_cli_path() {
  if (const char* env = std::getenv("GLEAK_CLI"); env && *env) return executable(env) ? env : "";
  // Defined only in programs built in gleak's own build tree (core/CMakeLists.txt): an
  // installed library never runs a command from the tree it was built in.
  if (gleak_build_tree_cli != nullptr) {
    if (const char* built = gleak_build_tree_cli(); built != nullptr && executable(built)) return built;
  }
#ifdef GLEAK_CLI_INSTALL_PATH
  if (executable(GLEAK_CLI_INSTALL_PATH)) return GLEAK_CLI_INSTALL_PATH;
#endif
  const char* path = std::getenv("PATH");
  return path != nullptr ? gleak_in_path(path) : "";
}

std::string gleak_in_path(std::string_view dirs) {
  for (std::size_t at = 0; at <= dirs.size();) {
    std::size_t end = dirs.find(':', at);
    if (end == std::string_view::npos) end = dirs.size();
    std::string candidate = std::string(dirs.substr(at, end - at)) + "/gleak";
    // A relative entry ("", ".", "bin") names the current directory, whatever it is.
    if (end > at && dirs[at] == '/' && executable(candidate)) return candidate;
    at = end + 1;
  }
  return "";
}

bool run_leak_cli(const std::string& cli, int64_t suspect_after_ns, int64_t timeout_ns, std::string* json,
                  std::string* error) {
  std::vector<std::string> args = {cli, "leaks", std::to_string(getpid()), "--json",
                                   "--suspect-after", std::to_string(std::max<int64_t>(0, suspect_after_ns / 1000000)) + "ms"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp = child_env();
  int go[2], out[2], err[2];
  if (pipe2(go, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    close(go[0]);
    close(go[1]);
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) exec_child(go[0], out[1], err[1], cli.c_str(), argv.data(), envp.data());
  int fork_errno = errno;
  close(go[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(go[1]);
    close(out[0]);
    close(err[0]);
    *error = std::string("fork: ") + std::strerror(fork_errno);
    return false;
  }
  // Under Yama's ptrace_scope 1 only an ancestor may trace a process, unless the process
  // names its tracer; without Yama this fails harmlessly.
  prctl(PR_SET_PTRACER, static_cast<unsigned long>(pid), 0, 0, 0);
  (void)!write(go[1], "g", 1);
  close(go[1]);
  std::string err_text;
  bool in_time = drain(out[0], err[0], monotonic_ns() + timeout_ns, json, &err_text);
  close(out[0]);
  close(err[0]);
  // Killed, a tracer lets go of its tracees: the process runs on.
  if (!in_time) kill(pid, SIGKILL);
  int status = 0;
  pid_t w;
  while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  prctl(PR_SET_PTRACER, 0, 0, 0, 0);
  if (!in_time) {
    *error = "the gleak command took longer than " + std::to_string(timeout_ns / 1000000000) + " s and was stopped";
    return false;
  }
  // Exit status 0: nothing proven leaked; 1: something is. A program that reaps every
  // child itself (waitpid(-1)) leaves us no status: the output says enough.
  bool ok = w < 0 ? !json->empty() : WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1);
  if (!ok) {
    *error = trimmed(err_text);
    if (error->empty()) {
      *error = WIFSIGNALED(status) ? "the gleak command died of signal " + std::to_string(WTERMSIG(status))
                                   : "the gleak command failed with status " + std::to_string(WEXITSTATUS(status));
    }
    return false;
  }
  return true;
}

}  // namespace internal

bool LeakReport::proven(uint64_t goroutine) const {
  return std::any_of(findings.begin(), findings.end(), [goroutine](const LeakFinding& f) {
    return f.goroutine == goroutine && f.certainty == LeakCertainty::kProven;
  });
}

std::size_t LeakReport::count(LeakCertainty certainty) const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [certainty](const LeakFinding& f) { return f.certainty == certainty; }));
}

namespace internal {

bool analyse_self(const std::string& cli, int64_t suspect_after_ns, int64_t timeout_ns, LeakReport* out,
                  std::string* error) {
  // Each analysis stops the whole process: one at a time.
  static std::mutex serial;
  std::lock_guard<std::mutex> lk(serial);
  std::string json;
  if (!run_leak_cli(cli, suspect_after_ns, timeout_ns, &json, error)) return false;
  LeakReport r;
  try {
    nlohmann::json j = nlohmann::json::parse(json);
    if (j.value("schema", "") != "gleak.leaks") {
      *error = "unexpected output of " + cli;
      return false;
    }
    r.complete = j.value("complete", false);
    for (const auto& f : j.at("findings")) {
      LeakFinding lf;
      lf.goroutine = f.at("goroutine").get<uint64_t>();
      lf.certainty = f.at("certainty").get<std::string>() == "proven" ? LeakCertainty::kProven : LeakCertainty::kSuspected;
      lf.check = f.value("check", "");
      lf.reason = f.value("reason", "");
      lf.status = f.value("status", "");
      lf.wait_reason = f.value("wait_reason", "");
      lf.function = f.value("function", "");
      lf.parent = f.value("parent_id", uint64_t{0});
      r.findings.push_back(std::move(lf));
    }
    r.cycles = j.at("cycles").size();
    r.text = j.value("text", "");
  } catch (const nlohmann::json::exception& e) {
    *error = "cannot read the output of " + cli + ": " + e.what();
    return false;
  }
  r.json = std::move(json);
  *out = std::move(r);
  return true;
}

}  // namespace internal

LeakReport find_leaks(const FindLeaksOptions& options) {
  std::string cli = internal::leak_cli_path();
  if (cli.empty()) {
    throw LeakAnalysisError("find_leaks: the gleak command was not found (set GLEAK_CLI to its path)");
  }
  LeakReport r;
  std::string error;
  bool ok = blocking([&] {
    return internal::analyse_self(cli, options.suspect_after.count(), options.timeout.count(), &r, &error);
  });
  if (!ok) throw LeakAnalysisError("find_leaks: " + error);
  return r;
}

}  // namespace gleak
