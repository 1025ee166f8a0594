// core/blocking.cc — gleak::blocking(): a blocking call runs on a helper thread while
// its goroutine parks in state `syscall`, so that the worker runs other goroutines.
// Helpers are made on demand and leave after 30 s idle; what the call starts belongs
// to the goroutine's group and carries its labels.
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "core/internal/g.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "gleak/runtime.h"

namespace gleak::detail {

using namespace internal;

namespace {

struct BlockingJob {
  void (*fn)(void*);
  void* arg;
  G* g;
  std::exception_ptr error;
  std::atomic<uint32_t> lock{0};
  uint32_t group = 0;  // the goroutine's: what fn starts belongs to it too
  char labels[arena::kLabelBytes] = {};  // and has its labels
};

struct BlockingPool {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<BlockingJob*> jobs;
  int idle = 0;
};

BlockingPool* blocking_pool() {
  static BlockingPool* pool = new BlockingPool();  // never destroyed: helpers outlive exit
  return pool;
}

void blocking_helper() {
  std::unique_lock<std::mutex> lk(blocking_pool()->mu);
  for (;;) {
    ++blocking_pool()->idle;
    bool got = blocking_pool()->cv.wait_for(lk, std::chrono::seconds(30), [] { return !blocking_pool()->jobs.empty(); });
    --blocking_pool()->idle;
    if (!got) return;  // idle for long: let the thread go
    // The job lies on its goroutine's stack. The deque's buffer keeps the bytes of a
    // popped element: clear it (a volatile store the optimizer keeps), or a stale
    // pointer into that stack would keep whatever the goroutine's frame holds
    // "reachable" for the leak analysis long after the call (docs/leaks.md).
    BlockingJob*& front = blocking_pool()->jobs.front();
    BlockingJob* job = front;
    *const_cast<BlockingJob* volatile*>(&front) = nullptr;
    blocking_pool()->jobs.pop_front();
    lk.unlock();
    t_group = job->group;
    std::memcpy(t_labels, job->labels, sizeof t_labels);
    try {
      job->fn(job->arg);
    } catch (...) {
      job->error = std::current_exception();
    }
    t_group = 0;
    t_labels[0] = '\0';
    // The goroutine releases job->lock only once it is parked.
    G* g = job->g;
    spin_lock(job->lock);
    spin_unlock(job->lock);
    ready(g);
    lk.lock();
  }
}

void unlock_word(void* w) { spin_unlock(*static_cast<std::atomic<uint32_t>*>(w)); }

}  // namespace

void run_blocking(void (*fn)(void*), void* arg) {
  G* g = current_g();
  if (g == nullptr) {
    fn(arg);
    return;
  }
  BlockingJob job{fn, arg, g, nullptr};
  job.group = g->rec.group;
  std::memcpy(job.labels, g->rec.labels, sizeof job.labels);
  spin_lock(job.lock);
  {
    std::lock_guard<std::mutex> lk(blocking_pool()->mu);
    blocking_pool()->jobs.push_back(&job);
    // Every queued job needs a helper of its own: a job may block until another one
    // runs, so two must never wait for the same helper.
    if (static_cast<std::size_t>(blocking_pool()->idle) >= blocking_pool()->jobs.size()) {
      blocking_pool()->cv.notify_one();
    } else {
      std::thread(blocking_helper).detach();
    }
  }
  park(WaitReason::kSyscall, nullptr, unlock_word, &job.lock, GState::kSyscall);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace gleak::detail
