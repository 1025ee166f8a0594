// core/internal/sched.h — the M:N scheduler.
//
// Each worker thread owns one P: a run queue ring (Go's runq: the owner pushes and pops
// without locks, thieves take half with a CAS), a `runnext` slot for the goroutine it
// just woke (so a ping-pong partner runs next, on the same worker, while it is hot in
// cache), and caches of free descriptors and stacks. Goroutines switch directly to the
// next goroutine; the worker's own stack (g0) runs only to look for work and to sleep.
// Idle workers sleep on a futex; see docs/scheduler.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "core/internal/context_switch.h"
#include "arena/layout.h"
#include "core/internal/g.h"

namespace gleak::internal {

inline constexpr uint32_t kRunQueueSize = 256;
inline constexpr int kMaxProcs = 256;

// Pending is what the context that just switched away asked the next one to finish
// once its registers are saved: only then may another worker resume it.
struct Pending {
  enum Kind : uint8_t { kNone, kPark, kYield, kExit } kind = kNone;
  G* prev = nullptr;                  // null: the worker's g0
  void (*unlock)(void*) = nullptr;    // kPark: releases the lock of the object parked on
  void* unlock_arg = nullptr;
};

struct alignas(64) P {
  int id = 0;
  // Run queue ring; head is advanced by the owner and by thieves (CAS), tail only by
  // the owner.
  std::atomic<uint32_t> head{0};
  std::atomic<uint32_t> tail{0};
  std::atomic<G*> ring[kRunQueueSize];
  std::atomic<G*> runnext{nullptr};

  alignas(64) G* current = nullptr;  // goroutine running here; null on g0
  MachineContext g0 = nullptr;
  Pending pending;
  uint32_t tick = 0;
  std::atomic<uint64_t> switches{0};  // bumped on every switch; thieves read it
  std::atomic<uint64_t> seen_switches{0};  // `switches` at the last starvation check
  uint64_t rng = 0;
  arena::Ring* events = nullptr;  // this worker's event ring
  int64_t clock = 0;            // coarse time of the last park, stamped on events
  int64_t spawned = 0;  // goroutines started here (read racily by num_goroutine)
  int64_t exited = 0;
  G* free_g = nullptr;  // cache of free descriptors
  uint32_t free_g_count = 0;

  // Sleeping: the worker waits on `wake` while in the idle list.
  alignas(64) std::atomic<uint32_t> wake{0};
  bool idle = false;  // guarded by the idle-list lock
  std::atomic<bool> retired{false};  // sleeping in retire(), on no idle list
  std::atomic<bool> spinning{false};  // set by the waker of an idle worker too
  void* asan_fake_g0 = nullptr;
  void* tsan_g0 = nullptr;  // ThreadSanitizer: the worker thread's own fiber
  void* asan_g0_bottom = nullptr;
  std::size_t asan_g0_size = 0;
  std::thread thread;
};

// current_p() is the P of the calling worker thread, or null on other threads. It is
// never inlined: a goroutine may resume on another thread after any switch, so a
// thread-local address must not be cached across one.
P* current_p();
// current_g() is the running goroutine, or null on a plain thread or g0.
G* current_g();

// current_labels() is the labels text (arena::kLabelBytes) of the calling goroutine,
// whose G goes to *owner (write it under a RecordWrite), or of the calling plain
// thread (*owner null).
char* current_labels(G** owner);

// The group (gleak/detail/group.h) and the labels (gleak::set_label()) of the calling
// plain thread, which the goroutines it starts inherit; a blocking() helper takes its
// goroutine's while it runs the call.
extern constinit thread_local uint32_t t_group;
extern constinit thread_local char t_labels[arena::kLabelBytes];

// ensure_started() starts the workers if they are not running.
void ensure_started();

// park() parks the current goroutine: reason and obj are recorded, then after the
// switch unlock(arg) runs (on the next context) to release the object's lock. Only
// for goroutines.
void park(WaitReason reason, const void* obj, void (*unlock)(void*), void* arg, GState state = GState::kWaiting,
          uint32_t count = 0);

// ready() makes a parked goroutine runnable: into the current worker's runnext when
// called on a worker, else into the global queue.
void ready(G* g);

// coarse_now_ns() is CLOCK_MONOTONIC_COARSE in ns, for wait-since stamps.
int64_t coarse_now_ns();
// now_ns() is CLOCK_MONOTONIC in ns.
int64_t now_ns();

// fast_rand() is a per-thread pseudo-random number.
uint32_t fast_rand();

// runtime_idle() is true when every worker sleeps with no work queued and no timer set.
bool runtime_idle();

// wake_for_timer() wakes an idle worker so that it recomputes its sleep deadline.
void wake_for_timer();

// for_each_g() calls fn on every goroutine descriptor ever allocated (free ones too).
void for_each_g(void (*fn)(G*, void*), void* arg);

}  // namespace gleak::internal
