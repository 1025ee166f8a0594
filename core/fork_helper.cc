// core/fork_helper.cc — the fork helper: a thread that forks a frozen copy of this
// process when a reader asks, so that the leak analysis can read one instant of the
// memory while the program runs on (docs/leaks.md, inspector/read/fork_copy.h).
//
// The reader stops every other thread (ptrace), then sends arena::kForkSignal to this
// thread, with a request number as its value. The helper forks with a bare clone(2) — no exit signal, so the program's
// SIGCHLD and wait() never see the copy. The fork happens while every other thread is
// stopped, so the copy's memory is that instant's. The copy runs only this file's
// code, which touches nothing but its own stack and the arena's answer words (raw
// system calls: another thread may have been stopped holding malloc's or stdio's
// locks). It answers with its pid, then waits until its reader sends the same signal
// (done), or is gone, or ten minutes have passed, and exits; the helper reaps it.
#include "core/internal/fork_helper.h"

#include <linux/futex.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <thread>

#include "core/internal/probe.h"

namespace gleak::internal {
namespace {

using arena::ArenaHeader;
using arena::kForkSignal;

void answer(ArenaHeader* h, int32_t value, int32_t request) {
  h->fork_answer.store(value, std::memory_order_relaxed);
  h->fork_answer_for.store(request, std::memory_order_relaxed);
  h->fork_answer_seq.fetch_add(1, std::memory_order_release);
  // Shared, not private: the reader waits on the same page of the file, mapped by it.
  syscall(SYS_futex, &h->fork_answer_seq, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

[[noreturn]] void be_the_copy(ArenaHeader* h, pid_t reader, int32_t request, const sigset_t* set) {
  // Dies with the helper (the process ended); readable by the reader under Yama's
  // ptrace_scope 1.
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  syscall(SYS_prctl, PR_SET_PTRACER, reader, 0, 0, 0);
  answer(h, static_cast<int32_t>(syscall(SYS_getpid)), request);
  for (int waited_ms = 0; waited_ms < 10 * 60 * 1000; waited_ms += 50) {
    siginfo_t info;
    struct timespec ts = {0, 50 * 1000 * 1000};
    if (sigtimedwait(set, &info, &ts) == kForkSignal && info.si_pid == reader) break;
    if (syscall(SYS_kill, reader, 0) != 0 && errno == ESRCH) break;
  }
  syscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

void helper_main() {
  sigset_t all, set;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);  // the program's signals go to its own threads
  sigemptyset(&set);
  sigaddset(&set, kForkSignal);
  ArenaHeader* h = arena_header();
  h->fork_helper_tid.store(static_cast<int32_t>(gettid()), std::memory_order_release);
  for (;;) {
    siginfo_t info;
    if (sigwaitinfo(&set, &info) != kForkSignal) continue;
    // Only a request queued with a number: the same signal sent by kill() or
    // raise() is not one.
    if (info.si_code != SI_QUEUE) continue;
    pid_t reader = info.si_pid;
    int32_t request = info.si_value.sival_int;
    long child = syscall(SYS_clone, 0L, nullptr, nullptr, nullptr, 0L);
    if (child == 0) be_the_copy(h, reader, request, &set);
    if (child < 0) {
      answer(h, -errno, request);
      continue;
    }
    while (waitpid(static_cast<pid_t>(child), nullptr, __WALL) < 0 && errno == EINTR) {
    }
  }
}

std::once_flag g_started;

}  // namespace

void start_fork_helper() {
#if !defined(GLEAK_SANITIZE_BUILD)
  std::call_once(g_started, [] { std::thread(helper_main).detach(); });
#endif
}

}  // namespace gleak::internal
