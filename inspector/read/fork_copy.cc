// inspector/read/fork_copy.cc — see fork_copy.h.
#include "inspector/read/fork_copy.h"

#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "arena/clock.h"
#include "inspector/read/memory.h"

namespace gleak::inspector {

ForkCopy::ForkCopy(pid_t pid, pid_t helper_tid, const arena::ArenaHeader& live, int timeout_ms) {
  if (helper_tid <= 0) {
    why_ = "the process has no fork helper";
    return;
  }
  // A request number of this request only: an answer to an earlier one that gave up
  // waiting (its copy was made while the threads ran) is never taken for it.
  int32_t request = static_cast<int32_t>(std::random_device{}() & 0x7fffffff);
  auto& seq = const_cast<std::atomic<uint32_t>&>(live.fork_answer_seq);
  uint32_t seen = seq.load(std::memory_order_acquire);
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_signo = arena::kForkSignal;
  info.si_code = SI_QUEUE;
  info.si_pid = getpid();
  info.si_uid = getuid();
  info.si_value.sival_int = request;
  if (syscall(SYS_rt_tgsigqueueinfo, pid, helper_tid, arena::kForkSignal, &info) != 0) {
    why_ = std::string("cannot signal the fork helper: ") + std::strerror(errno);
    return;
  }
  int64_t deadline = monotonic_ns() + int64_t{timeout_ms} * 1000000;
  for (;;) {
    uint32_t now = seq.load(std::memory_order_acquire);
    if (now != seen) {
      seen = now;
      if (live.fork_answer_for.load(std::memory_order_relaxed) == request) break;
      continue;  // another reader's answer
    }
    int64_t left = deadline - monotonic_ns();
    if (left <= 0) {
      why_ = "the fork helper did not answer in " + std::to_string(timeout_ms) + " ms";
      return;
    }
    struct timespec ts = {static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
    syscall(SYS_futex, &seq, FUTEX_WAIT, now, &ts, nullptr, 0);
  }
  int32_t answer = live.fork_answer.load(std::memory_order_relaxed);
  if (answer <= 0) {
    why_ = std::string("the process could not fork: ") + std::strerror(-answer);
    return;
  }
  child_ = answer;
  // The copy names this process its tracer before it answers; a reader that still
  // cannot read it (another user's process, no privilege) reads the stopped process.
  char probe[8];
  if (!ProcessMemory(child_).read(live.mapped_at, probe, sizeof probe)) {
    why_ = std::string("the copy's memory cannot be read: ") + std::strerror(errno);
    drop();
  }
}

ForkCopy::~ForkCopy() { drop(); }

void ForkCopy::drop() {
  if (child_ == 0) return;
  // Told, not killed: it exits by itself, and its helper reaps it.
  kill(child_, arena::kForkSignal);
  child_ = 0;
}

}  // namespace gleak::inspector
