// inspector/read/fork_copy.h — a frozen copy-on-write copy of a stopped process, so that
// the leak analysis can read one instant of its memory while the process runs on.
//
// The copy is made by the process itself: one of its threads, stopped by StopTheWorld,
// is made to run a single clone(2) system call at the runtime's fork site
// (ArenaHeader::fork_site), with no signal to the parent when the copy ends, so the
// program's own wait() and SIGCHLD never see it. The copy starts traced by this process
// and stopped, and is never let run: it is killed if this process dies
// (PTRACE_O_EXITKILL), and the code after the fork site makes it exit at once should it
// run before that is set. When it is dropped, one thread of the process is stopped
// again for one wait4(2) at the same site, which reaps it.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gleak::inspector {

// A thread of the process, ptrace-stopped by this process, and its registers then.
struct StoppedThread {
  pid_t tid = 0;
  user_regs_struct regs{};
  bool signal_pending = false;  // a signal-delivery stop: not the thread to run a call in
};

// run_syscall() makes a stopped thread run one system call at `site`, then puts its
// registers back as they were (an interrupted call it was in is restarted when it
// resumes). *result is what the call returned (a negative errno). When the call makes a
// process that this one traces (a clone with PTRACE_O_TRACECLONE set), *made is its pid.
// False, with *why, when the thread could not be made to run it; its registers are put
// back whenever it still exists.
bool run_syscall(const StoppedThread& t, uint64_t site, long nr, const long (&args)[6], long* result, pid_t* made,
                 std::string* why);

// ForkCopy is the frozen copy. Made from the stopped threads of `pid` (their registers
// as stopped) and its fork site; pid() is 0 and why() says why when it could not be
// made, and the caller reads the stopped process itself instead.
class ForkCopy {
 public:
  ForkCopy(pid_t pid, const std::vector<StoppedThread>& threads, uint64_t site);
  ~ForkCopy();
  ForkCopy(const ForkCopy&) = delete;
  ForkCopy& operator=(const ForkCopy&) = delete;

  pid_t pid() const { return child_; }
  const std::string& why() const { return why_; }
  // drop() kills the copy and has the process reap it; false, with why(), when the
  // process could not be made to (the copy then stays a zombie of the process until it
  // waits for it or ends).
  bool drop();

 private:
  bool end(pid_t child, const StoppedThread* stopped);

  pid_t parent_;
  pid_t child_ = 0;
  uint64_t site_ = 0;
  std::string why_;
};

}  // namespace gleak::inspector
