// inspector/read/fork_copy.cc — see fork_copy.h.
#include "inspector/read/fork_copy.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "inspector/read/memory.h"

namespace gleak::inspector {

namespace {

// wait_event() waits for a traced thread's next stop; false if it is gone. *status is
// waitpid's.
bool wait_event(pid_t tid, int* status) {
  for (;;) {
    pid_t r = waitpid(tid, status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (WIFEXITED(*status) || WIFSIGNALED(*status)) return false;
    if (WIFSTOPPED(*status)) return true;
  }
}

}  // namespace

bool run_syscall(const StoppedThread& t, uint64_t site, long nr, const long (&args)[6], long* result, pid_t* made,
                 std::string* why) {
  user_regs_struct r = t.regs;
  r.rip = site;
  r.rax = static_cast<unsigned long long>(nr);
  r.orig_rax = ~0ull;  // not in a call: nothing to restart on the way back to user mode
  r.rdi = static_cast<unsigned long long>(args[0]);
  r.rsi = static_cast<unsigned long long>(args[1]);
  r.rdx = static_cast<unsigned long long>(args[2]);
  r.r10 = static_cast<unsigned long long>(args[3]);
  r.r8 = static_cast<unsigned long long>(args[4]);
  r.r9 = static_cast<unsigned long long>(args[5]);
  auto restore = [&] { ptrace(PTRACE_SETREGS, t.tid, nullptr, &t.regs); };
  if (ptrace(PTRACE_SETREGS, t.tid, nullptr, &r) != 0) {
    *why = std::string("cannot set a thread's registers: ") + std::strerror(errno);
    return false;
  }
  if (ptrace(PTRACE_SINGLESTEP, t.tid, nullptr, nullptr) != 0) {
    *why = std::string("cannot step a thread: ") + std::strerror(errno);
    restore();
    return false;
  }
  for (;;) {
    int status = 0;
    if (!wait_event(t.tid, &status)) {
      *why = "the thread ended while it ran the call";
      return false;
    }
    int event = status >> 16;
    if (event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK) {
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, t.tid, nullptr, &msg);
      if (made) *made = static_cast<pid_t>(msg);
    } else if (WSTOPSIG(status) == SIGTRAP && event == 0) {
      break;  // the step after the call
    }
    // Any other stop (a signal sent meanwhile is left pending by the step: the thread
    // is stopped for it again after being let go) — step on.
    if (ptrace(PTRACE_SINGLESTEP, t.tid, nullptr, nullptr) != 0) {
      *why = std::string("cannot step a thread: ") + std::strerror(errno);
      restore();
      return false;
    }
  }
  user_regs_struct after{};
  ptrace(PTRACE_GETREGS, t.tid, nullptr, &after);
  *result = static_cast<long>(after.rax);
  restore();
  return true;
}

ForkCopy::ForkCopy(pid_t pid, const std::vector<StoppedThread>& threads, uint64_t site) : parent_(pid), site_(site) {
  unsigned char code[2] = {};
  if (site_ == 0 || !ProcessMemory(pid).read(site_, code, 2) || code[0] != 0x0f || code[1] != 0x05) {
    why_ = "the process has no fork site";
    return;
  }
  const StoppedThread* caller = nullptr;
  for (const StoppedThread& t : threads) {
    if (!t.signal_pending) {
      caller = &t;
      break;
    }
  }
  if (caller == nullptr) {
    why_ = "every thread was stopped for a signal";
    return;
  }
  if (ptrace(PTRACE_SETOPTIONS, caller->tid, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACECLONE)) != 0) {
    why_ = std::string("cannot trace a thread's clones: ") + std::strerror(errno);
    return;
  }
  // clone(2) with no flags and no exit signal: a copy of the whole process that no
  // wait() of the program's sees (only __WALL or __WCLONE do) and no SIGCHLD announces.
  const long args[6] = {0, 0, 0, 0, 0, 0};
  long result = 0;
  pid_t made = 0;
  bool ran = run_syscall(*caller, site_, SYS_clone, args, &result, &made, &why_);
  ptrace(PTRACE_SETOPTIONS, caller->tid, nullptr, nullptr);
  if (!ran) return;
  if (result > 0 && made <= 0) {
    why_ = "the copy was made untraced";  // it exits at once at the fork site
    end(static_cast<pid_t>(result), caller);
    return;
  }
  if (result <= 0) {
    why_ = std::string("the process could not fork: ") + std::strerror(static_cast<int>(-result));
    return;
  }
  child_ = made;
  // The copy starts stopped and traced, and never runs: it is killed if this process
  // dies from now on, and until now the code after the fork site would have made it
  // exit at once.
  int status = 0;
  if (!wait_event(child_, &status)) {
    why_ = "the copy ended before it could be read";
    pid_t child = child_;
    child_ = 0;
    end(child, caller);
    return;
  }
  ptrace(PTRACE_SETOPTIONS, child_, nullptr, reinterpret_cast<void*>(PTRACE_O_EXITKILL));
  // Tracing the copy does not always let this process read it: Yama's
  // ptrace_scope 1 allows it only to a tracer the target named, or a privileged one.
  unsigned char again[2] = {};
  if (!ProcessMemory(child_).read(site_, again, 2)) {
    why_ = std::string("the copy's memory cannot be read: ") + std::strerror(errno);
    pid_t child = child_;
    child_ = 0;
    end(child, caller);
  }
}

ForkCopy::~ForkCopy() { drop(); }

bool ForkCopy::drop() {
  if (child_ == 0) return true;
  pid_t child = child_;
  child_ = 0;
  return end(child, nullptr);
}

// end() kills the copy and reaps it, as its tracer and then in the process: with
// `stopped`, a thread of it this process holds stopped; else it stops one thread for it.
bool ForkCopy::end(pid_t child, const StoppedThread* stopped) {
  kill(child, SIGKILL);
  int status = 0;
  while (waitpid(child, &status, __WALL) < 0 && errno == EINTR) {
  }
  // Reaped as its tracer, it stays a zombie of the process, whose thread reaps it now.
  // Never a blocking wait in the process's thread: WNOHANG, and a few tries while a
  // copy that was not traced is still dying.
  const long args[6] = {child, 0, __WALL | WNOHANG, 0, 0, 0};
  auto reap = [&](const StoppedThread& t) {
    long result = 0;
    std::string why;
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (!run_syscall(t, site_, SYS_wait4, args, &result, nullptr, &why)) break;
      if (result == child || result == -ECHILD) return true;
      if (result != 0) break;
      usleep(1000);
    }
    if (why_.empty()) why_ = why.empty() ? "wait4: " + std::string(result ? std::strerror(static_cast<int>(-result)) : "the copy did not end") : why;
    return false;
  };
  if (stopped != nullptr) return reap(*stopped);
  for (pid_t tid : threads_of(parent_)) {
    if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) continue;
    if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
      ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
      continue;
    }
    StoppedThread t;
    t.tid = tid;
    if (!wait_event(tid, &status)) continue;  // it ended
    // Stopped for a signal rather than by the interrupt: it gets it back on detach.
    long sig = (status >> 16) != PTRACE_EVENT_STOP ? WSTOPSIG(status) : 0;
    bool reaped = ptrace(PTRACE_GETREGS, tid, nullptr, &t.regs) == 0 && reap(t);
    ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(sig));
    if (reaped) return true;
  }
  if (why_.empty()) why_ = "no thread of the process could be stopped to reap its copy";
  return false;
}

}  // namespace gleak::inspector
