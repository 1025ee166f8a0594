// tests/child_process.h — running a target program from a test: its own arena directory,
// its stdout read line by line, killed if the test leaves it running.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern char** environ;

namespace gleak::testing_support {

// ArenaDir gives every test its own GLEAK_DIR, for the targets and for the reader.
class ArenaDir {
 public:
  ArenaDir() {
    char tmpl[] = "/tmp/gleak-test-XXXXXX";
    path_ = mkdtemp(tmpl);
    setenv("GLEAK_DIR", path_.c_str(), 1);
  }
  ~ArenaDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    (void)std::system(cmd.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Child is a target program whose stdout we read; it is killed if still running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) std::abort();
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);  // crash reports
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) std::abort();
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_) fclose(out_);
  }
  pid_t pid() const { return pid_; }

  // line() blocks until the child prints a line (empty at end of output).
  std::string line() {
    char buf[4096];
    if (!fgets(buf, sizeof buf, out_)) return {};
    return buf;
  }
  // wait_for() reads lines until one contains `what`.
  bool wait_for(const std::string& what) {
    for (std::string l = line(); !l.empty(); l = line()) {
      if (l.find(what) != std::string::npos) return true;
    }
    return false;
  }
  // wait() reaps the child and returns its wait status.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
};

// stopped_threads() counts the threads of pid in a ptrace or job-control stop ('t' or
// 'T' in /proc/<pid>/task/<tid>/stat): a reader must never leave one behind.
inline int stopped_threads(pid_t pid) {
  int n = 0;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(dir + "/" + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && (text[close + 2] == 't' || text[close + 2] == 'T')) ++n;
  }
  closedir(d);
  return n;
}

// run_command() runs a shell command line, returns its exit status (-1 if it did not
// exit) and its standard output in *out.
inline int run_command(const std::string& command, std::string* out) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  char buf[65536];
  std::size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// start_killed_reader() starts `cli leaks <pid>` (its output to /dev/null), lets it run
// for `run_us` microseconds — a point of its read chosen by the caller — then kills it
// with SIGKILL and reaps it. The pid of the killed reader, or -1 if it could not start.
inline pid_t start_killed_reader(const char* cli, pid_t pid, unsigned run_us) {
  pid_t reader = fork();
  if (reader < 0) return -1;
  if (reader == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    std::string target = std::to_string(pid);
    execl(cli, cli, "leaks", target.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  struct timespec ts = {static_cast<time_t>(run_us / 1000000), static_cast<long>(run_us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
  kill(reader, SIGKILL);
  while (waitpid(reader, nullptr, 0) < 0) {
  }
  return reader;
}

}  // namespace gleak::testing_support
