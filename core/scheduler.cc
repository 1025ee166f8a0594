// core/scheduler.cc — workers, run queues, spawning, parking and switching.
// See core/internal/sched.h for the shape and docs/scheduler.md for the reasoning.
#include "arena/clock.h"
#include "core/internal/sched.h"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "core/internal/check.h"
#include "core/internal/crash.h"
#include "core/internal/deadlock.h"
#include "core/internal/futex.h"
#include "core/internal/exit_check.h"
#include "core/internal/fork_helper.h"
#include "core/internal/probe.h"
#include "core/internal/spinlock.h"
#include "core/internal/stack_pool.h"
#include "core/internal/timers.h"
#include "core/internal/wait.h"
#include "gleak/detail/group.h"
#include "gleak/runtime.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define GLEAK_ASAN 1
#endif
// ThreadSanitizer follows the goroutines as fibers: each gets one when it first runs,
// every switch says which one runs next, and the fiber goes with the descriptor.
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define GLEAK_TSAN 1
#endif

namespace gleak::internal {

constinit thread_local uint32_t t_group = 0;
constinit thread_local char t_labels[arena::kLabelBytes] = {};

namespace {

constexpr uint32_t kGChunk = 1024;
constexpr uint32_t kGCacheMax = 256;
constexpr uint32_t kGCacheBatch = 64;
constexpr int64_t kStarvationCheckNs = 10'000'000;
constexpr int kSpinRounds = 64;

struct Sched {
  std::once_flag started;
  std::atomic<int> nprocs{0};   // active Ps
  std::atomic<int> nthreads{0}; // Ps whose thread exists
  std::mutex procs_mu;          // serialises set_procs
  // Published with release once built: other workers' steal() reads the slots while
  // start_procs() fills them.
  std::atomic<P*> ps[kMaxProcs] = {};

  // Global run queue.
  SpinLock gq_lock;
  G* gq_head = nullptr;
  G* gq_tail = nullptr;
  std::atomic<int64_t> gq_size{0};

  // Idle Ps.
  SpinLock idle_lock;
  P* idle[kMaxProcs] = {};
  int nidle_list = 0;
  std::atomic<int> nidle{0};
  std::atomic<int> nspinning{0};

  // Goroutine descriptors.
  SpinLock g_lock;
  G* g_free = nullptr;
  std::atomic<uint32_t> g_nchunks{0};
  G* g_chunks[arena::kMaxChunks] = {};
  std::atomic<uint64_t> next_id{1};
  std::atomic<int64_t> plain_spawned{0};
};

// Constant-initialized, so that a gleak object built during static initialization (a
// namespace-scope Chan) finds it ready; never destroyed (trivial destructor): workers
// outlive static destructors.
constinit Sched g_sched_storage;
Sched* const g_sched = &g_sched_storage;

thread_local P* t_p = nullptr;
thread_local uint64_t t_rng = 0;

// ---- descriptors -------------------------------------------------------------------

G* new_g_chunk() {
  arena::ArenaHeader* h = arena_header();
  uint32_t n = g_sched->g_nchunks.load(std::memory_order_relaxed);
  GLEAK_CHECK(n < arena::kMaxChunks, "goroutine table exhausted");
  uint64_t off = 0;
  G* chunk = static_cast<G*>(arena_alloc(sizeof(G) * kGChunk, &off));
  for (uint32_t i = 0; i < kGChunk; ++i) new (&chunk[i]) G();
  for (uint32_t i = kGChunk; i-- > 0;) {
    chunk[i].next = g_sched->g_free;
    g_sched->g_free = &chunk[i];
  }
  g_sched->g_chunks[n] = chunk;
  g_sched->g_nchunks.store(n + 1, std::memory_order_release);
  h->goroutine_stride = sizeof(G);
  h->goroutine_chunk_offset[n] = off;
  h->goroutine_chunks.store(n + 1, std::memory_order_release);
  return chunk;
}

G* alloc_g(P* p) {
  if (p != nullptr && p->free_g != nullptr) {
    G* g = p->free_g;
    p->free_g = g->next;
    --p->free_g_count;
    return g;
  }
  std::lock_guard<SpinLock> lk(g_sched->g_lock);
  if (g_sched->g_free == nullptr) new_g_chunk();
  G* g = g_sched->g_free;
  g_sched->g_free = g->next;
  if (p != nullptr) {
    for (uint32_t i = 0; i < kGCacheBatch && g_sched->g_free != nullptr; ++i) {
      G* x = g_sched->g_free;
      g_sched->g_free = x->next;
      x->next = p->free_g;
      p->free_g = x;
      ++p->free_g_count;
    }
  }
  return g;
}

void release_g(P* p, G* g) {
  if (g->stack_top() != nullptr) stack_free(g->stack_top());
#if GLEAK_TSAN
  // Run on the next context: the fiber is no longer the current one.
  if (g->tsan_fiber != nullptr) __tsan_destroy_fiber(g->tsan_fiber);
  g->tsan_fiber = nullptr;
#endif
  if (g->closure_on_heap) ::operator delete(g->closure, std::align_val_t(g->closure_align));
  g->closure = nullptr;
  {
    RecordWrite w(g);
    g->rec.state = GState::kFree;
    g->rec.stack_lo = g->rec.stack_hi = 0;
    g->rec.context = 0;
    g->rec.worker = -1;
  }
  __atomic_store_n(&p->exited, p->exited + 1, __ATOMIC_RELAXED);  // read by num_goroutine()
  g->next = p->free_g;
  p->free_g = g;
  if (++p->free_g_count > kGCacheMax) {
    G* first = nullptr;
    G* last = nullptr;
    for (uint32_t i = 0; i < kGCacheBatch; ++i) {
      G* x = p->free_g;
      p->free_g = x->next;
      --p->free_g_count;
      x->next = first;
      if (!last) last = x;
      first = x;
    }
    std::lock_guard<SpinLock> lk(g_sched->g_lock);
    last->next = g_sched->g_free;
    g_sched->g_free = first;
  }
}

// ---- run queues ----------------------------------------------------------------------

void global_put_batch(G* head, G* tail, int64_t n) {
  tail->next = nullptr;
  std::lock_guard<SpinLock> lk(g_sched->gq_lock);
  if (g_sched->gq_tail) {
    g_sched->gq_tail->next = head;
  } else {
    g_sched->gq_head = head;
  }
  g_sched->gq_tail = tail;
  g_sched->gq_size.fetch_add(n, std::memory_order_seq_cst);
}

// runq_put_slow() moves half of a full ring plus g to the global queue.
bool runq_put_slow(P* p, G* g, uint32_t h, uint32_t t) {
  constexpr uint32_t n = kRunQueueSize / 2;
  G* batch[n + 1];
  for (uint32_t i = 0; i < n; ++i) batch[i] = p->ring[(h + i) % kRunQueueSize].load(std::memory_order_relaxed);
  (void)t;
  if (!p->head.compare_exchange_strong(h, h + n, std::memory_order_release, std::memory_order_relaxed)) return false;
  batch[n] = g;
  for (uint32_t i = 0; i < n; ++i) batch[i]->next = batch[i + 1];
  global_put_batch(batch[0], batch[n], n + 1);
  return true;
}

void runq_put(P* p, G* g) {
  for (;;) {
    uint32_t h = p->head.load(std::memory_order_acquire);
    uint32_t t = p->tail.load(std::memory_order_relaxed);
    if (t - h < kRunQueueSize) {
      p->ring[t % kRunQueueSize].store(g, std::memory_order_relaxed);
      p->tail.store(t + 1, std::memory_order_release);
      return;
    }
    if (runq_put_slow(p, g, h, t)) return;
  }
}

G* runq_get(P* p) {
  for (;;) {
    uint32_t h = p->head.load(std::memory_order_acquire);
    uint32_t t = p->tail.load(std::memory_order_relaxed);
    if (t == h) return nullptr;
    G* g = p->ring[h % kRunQueueSize].load(std::memory_order_relaxed);
    if (p->head.compare_exchange_weak(h, h + 1, std::memory_order_release, std::memory_order_relaxed)) return g;
  }
}

bool runq_empty(P* p) {
  return p->head.load(std::memory_order_acquire) == p->tail.load(std::memory_order_acquire);
}

// runq_grab() takes half of victim's ring into batch; returns how many.
uint32_t runq_grab(P* victim, G** batch) {
  for (;;) {
    uint32_t h = victim->head.load(std::memory_order_acquire);
    uint32_t t = victim->tail.load(std::memory_order_acquire);
    uint32_t n = t - h;
    n = n - n / 2;
    if (n == 0) return 0;
    if (n > kRunQueueSize / 2) continue;  // inconsistent read
    for (uint32_t i = 0; i < n; ++i) batch[i] = victim->ring[(h + i) % kRunQueueSize].load(std::memory_order_relaxed);
    if (victim->head.compare_exchange_weak(h, h + n, std::memory_order_release, std::memory_order_relaxed)) return n;
  }
}

G* take_runnext(P* p) {
  G* g = p->runnext.load(std::memory_order_relaxed);
  if (g != nullptr && p->runnext.compare_exchange_strong(g, nullptr, std::memory_order_acquire)) return g;
  return nullptr;
}

// global_get() takes a batch from the global queue: one to run, the rest into p's ring.
G* global_get(P* p, bool whole_share) {
  if (g_sched->gq_size.load(std::memory_order_relaxed) == 0) return nullptr;
  std::lock_guard<SpinLock> lk(g_sched->gq_lock);
  int64_t size = g_sched->gq_size.load(std::memory_order_relaxed);
  if (size == 0) return nullptr;
  int64_t n = 1;
  if (whole_share) {
    int np = std::max(1, g_sched->nprocs.load(std::memory_order_relaxed));
    n = std::min<int64_t>(size, size / np + 1);
    n = std::min<int64_t>(n, kRunQueueSize / 2);
  }
  G* first = g_sched->gq_head;
  g_sched->gq_head = first->next;
  for (int64_t i = 1; i < n; ++i) {
    G* g = g_sched->gq_head;
    g_sched->gq_head = g->next;
    runq_put(p, g);
  }
  if (g_sched->gq_head == nullptr) g_sched->gq_tail = nullptr;
  g_sched->gq_size.fetch_sub(n, std::memory_order_relaxed);
  return first;
}

void wake_idle_p();

// put_runnext() puts g into p's runnext; the goroutine it displaces goes to the ring.
// Returns true when the ring got work, so that an idle worker may be worth waking.
bool put_runnext(P* p, G* g) {
  // Only the owner makes runnext non-null, so an empty slot can be filled with a plain
  // store; a thief may empty a full one at any time, so replacing needs an exchange.
  if (p->runnext.load(std::memory_order_relaxed) == nullptr) {
    p->runnext.store(g, std::memory_order_release);
    return false;
  }
  G* old = p->runnext.exchange(g, std::memory_order_acq_rel);
  if (old == nullptr) return false;
  runq_put(p, old);
  return true;
}

// Every kGlobalFirstEvery schedules a worker takes from the global queue before its
// own, so that the global queue cannot starve. A prime, as Go's 61: it does not fall
// into step with a program's own period.
constexpr uint32_t kGlobalFirstEvery = 61;

// next_local() is the next goroutine of p's own queues, then of the global queue: the
// order every search for work takes before it steals.
inline G* next_local(P* p) {
  if (G* g = take_runnext(p)) return g;
  if (G* g = runq_get(p)) return g;
  return global_get(p, true);
}

// find_runnable_fast() looks for the next goroutine without stealing or sleeping.
G* find_runnable_fast(P* p) {
  if (p->id >= g_sched->nprocs.load(std::memory_order_relaxed)) return nullptr;  // retiring
  if (++p->tick % kGlobalFirstEvery == 0) {
    if (G* g = global_get(p, false)) return g;
  }
  return next_local(p);
}

// ---- switching -----------------------------------------------------------------------

void g_entry(Transfer t);

void finish_switch(Transfer t);

#if GLEAK_ASAN
void asan_start(void** fake, const void* bottom, std::size_t size) { __sanitizer_start_switch_fiber(fake, bottom, size); }
void asan_finish(void* fake, P* p) {
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake, &bottom, &size);
  if (p != nullptr && p->pending.prev == nullptr && bottom != nullptr) {
    p->asan_g0_bottom = const_cast<void*>(bottom);
    p->asan_g0_size = size;
  }
}
#endif

// set_pending() records what the next context must finish for this one, field by
// field: building a Pending and copying it costs two store-forwarding stalls a switch.
inline void set_pending(P* p, Pending::Kind kind, G* prev, void (*unlock)(void*) = nullptr, void* arg = nullptr) {
  p->pending.kind = kind;
  p->pending.prev = prev;
  p->pending.unlock = unlock;
  p->pending.unlock_arg = arg;
}

// switch_to() runs `next` in place of the current context (a goroutine or g0), after
// set_pending().
void switch_to(P* p, G* next) {
  p->current = next;
  p->switches.store(p->switches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  {
    // One record update per resume: running, and no longer waiting (park() leaves the
    // wait fields for this write to clear).
    RecordWrite w(next);
    next->rec.state = GState::kRunning;
    next->rec.worker = p->id;
    next->rec.wait_reason = WaitReason::kNone;
    next->rec.wait_object = 0;
    next->rec.wait_count = 0;
    if (next->rec.stack_hi == 0) {
      void* top = stack_alloc();
      std::size_t size = stack_size();
      next->rec.stack_hi = reinterpret_cast<uint64_t>(top);
      next->rec.stack_lo = reinterpret_cast<uint64_t>(top) - size;
      // Leave 64 bytes above the initial frame for the stack pool's free-list link.
      next->rec.context = reinterpret_cast<uint64_t>(make_context(static_cast<char*>(top) - 64, size - 64, g_entry));
    }
  }
#if GLEAK_ASAN
  G* prev = p->pending.prev;
  void** fake = p->pending.kind == Pending::kExit ? nullptr : (prev ? &prev->asan_fake_stack : &p->asan_fake_g0);
  asan_start(fake, next->stack_base(), stack_size());
#endif
#if GLEAK_TSAN
  if (p->pending.prev == nullptr && p->tsan_g0 == nullptr) p->tsan_g0 = __tsan_get_current_fiber();
  if (next->tsan_fiber == nullptr) next->tsan_fiber = __tsan_create_fiber(0);
  __tsan_switch_to_fiber(next->tsan_fiber, 0);
#endif
  Transfer t = jump(next->ctx(), p);
  finish_switch(t);
}

void switch_to_g0(P* p) {
  p->current = nullptr;
#if GLEAK_ASAN
  G* prev = p->pending.prev;
  void** fake = p->pending.kind == Pending::kExit ? nullptr : &prev->asan_fake_stack;
  asan_start(fake, p->asan_g0_bottom, p->asan_g0_size);
#endif
#if GLEAK_TSAN
  __tsan_switch_to_fiber(p->tsan_g0, 0);
#endif
  Transfer t = jump(p->g0, p);
  finish_switch(t);
}

// finish_switch() runs first on every context that resumes: the previous context's
// registers are saved now, so it can be queued, unlocked or freed.
void finish_switch(Transfer t) {
  // Every jump carries the P of the thread making it, which is this thread's.
  P* p = static_cast<P*>(t.data);
#if GLEAK_ASAN
  asan_finish(p->current ? p->current->asan_fake_stack : p->asan_fake_g0, p);
#endif
  Pending& pd = p->pending;
  G* prev = pd.prev;
  if (prev == nullptr) {
    p->g0 = t.from;
  } else {
    switch (pd.kind) {
      case Pending::kPark: {
        RecordWrite w(prev);
        prev->rec.context = reinterpret_cast<uint64_t>(t.from);
        prev->rec.worker = -1;
      }
        if (pd.unlock != nullptr) pd.unlock(pd.unlock_arg);
        // No stale object address left in the P: the leak analysis scans it
        // conservatively.
        pd.unlock_arg = nullptr;
        break;
      case Pending::kYield: {
        RecordWrite w(prev);
        prev->rec.context = reinterpret_cast<uint64_t>(t.from);
        prev->rec.state = GState::kRunnable;
        prev->rec.worker = -1;
      }
        runq_put(p, prev);
        break;
      case Pending::kExit:
        release_g(p, prev);
        break;
      case Pending::kNone:
        break;
    }
  }
  pd.kind = Pending::kNone;
  pd.prev = nullptr;
  // Poll timers now and then from goroutine context too, so that a worker that never
  // returns to g0 (goroutines handing off to each other) still fires them. No lock is
  // held here.
  if (p->current != nullptr && (p->tick & 63) == 0) poll_timers();
}

[[noreturn]] void goexit(P* p, G* g) {
  {
    RecordWrite w(g);
    g->rec.state = GState::kDead;
  }
  ring_emit(p->events, p->clock, arena::EventKind::kExit, g->rec.id, 0, 0);
  ring_count(p->events->exited);
  G* next = find_runnable_fast(p);
  set_pending(p, Pending::kExit, g);
  if (next) {
    switch_to(p, next);
  } else {
    switch_to_g0(p);
  }
  __builtin_unreachable();
}

void g_entry(Transfer t) {
  finish_switch(t);
  G* g = static_cast<P*>(t.data)->current;
  // No try/catch here, and this function is not noexcept: an exception that escapes
  // the goroutine's function finds no handler, so std::terminate runs right at the
  // throw site on this stack, where the panic report can see it (docs/scheduler.md).
  g->entry(g->closure);
  // The goroutine may have moved to another worker while it ran.
  P* p = current_p();
  goexit(p, p->current);
}

// ---- idle workers --------------------------------------------------------------------

bool work_available() {
  if (g_sched->gq_size.load(std::memory_order_seq_cst) > 0) return true;
  int n = g_sched->nprocs.load(std::memory_order_relaxed);
  for (int i = 0; i < n; ++i) {
    P* q = g_sched->ps[i].load(std::memory_order_acquire);
    if (q != nullptr && !runq_empty(q)) return true;
  }
  return timers_due();
}

void idle_push(P* p) {
  std::lock_guard<SpinLock> lk(g_sched->idle_lock);
  p->idle = true;
  g_sched->idle[g_sched->nidle_list++] = p;
  g_sched->nidle.fetch_add(1, std::memory_order_seq_cst);
}

// idle_remove() takes p off the idle list; false if a waker already did.
bool idle_remove(P* p) {
  std::lock_guard<SpinLock> lk(g_sched->idle_lock);
  if (!p->idle) return false;
  p->idle = false;
  for (int i = 0; i < g_sched->nidle_list; ++i) {
    if (g_sched->idle[i] == p) {
      g_sched->idle[i] = g_sched->idle[--g_sched->nidle_list];
      break;
    }
  }
  g_sched->nidle.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

// consume_wake() waits for the wake-up a waker that took p off the idle list is about
// to deliver.
void consume_wake(P* p) {
  while (p->wake.exchange(0, std::memory_order_acquire) == 0) cpu_relax();
}

void wake_p(P* p) {
  p->wake.store(1, std::memory_order_release);
  futex_wake(&p->wake);
}

// take_idle_p() takes a worker off the idle list (null when there is none), marked
// spinning if asked: it is woken to look for work.
P* take_idle_p(bool spinning) {
  if (g_sched->nidle.load(std::memory_order_seq_cst) == 0) return nullptr;
  std::lock_guard<SpinLock> lk(g_sched->idle_lock);
  if (g_sched->nidle_list == 0) return nullptr;
  P* p = g_sched->idle[--g_sched->nidle_list];
  p->idle = false;
  g_sched->nidle.fetch_sub(1, std::memory_order_seq_cst);
  if (spinning) {
    p->spinning.store(true, std::memory_order_relaxed);
    g_sched->nspinning.fetch_add(1, std::memory_order_seq_cst);
  }
  return p;
}

void wake_idle_p() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (g_sched->nspinning.load(std::memory_order_seq_cst) != 0) return;
  P* p = take_idle_p(true);
  if (p == nullptr) return;
  wake_p(p);
}

void stop_spinning(P* p) {
  if (!p->spinning.load(std::memory_order_relaxed)) return;
  p->spinning.store(false, std::memory_order_relaxed);
  // The last spinner to find work wakes another worker if more work is waiting, so
  // parallelism ramps up one worker at a time.
  if (g_sched->nspinning.fetch_sub(1, std::memory_order_seq_cst) == 1 && work_available()) wake_idle_p();
}

// steal() takes work from another P's ring (or, when `runnext_too`, from the runnext of
// a P that has been running the same goroutine since the last check).
G* steal(P* p, bool runnext_too) {
  int n = g_sched->nprocs.load(std::memory_order_relaxed);
  if (n <= 1 && !runnext_too) return nullptr;
  uint32_t start = fast_rand();
  G* batch[kRunQueueSize / 2];
  for (int k = 0; k < n; ++k) {
    P* v = g_sched->ps[(start + k) % n].load(std::memory_order_acquire);
    if (v == nullptr || v == p) continue;
    if (uint32_t got = runq_grab(v, batch)) {
      for (uint32_t i = 0; i + 1 < got; ++i) runq_put(p, batch[i]);
      return batch[got - 1];
    }
  }
  if (runnext_too) {
    for (int k = 0; k < n; ++k) {
      P* v = g_sched->ps[(start + k) % n].load(std::memory_order_acquire);
      if (v == nullptr || v == p) continue;
      uint64_t sw = v->switches.load(std::memory_order_relaxed);
      // A worker that has not switched for a whole check period is running one long
      // goroutine; what waits in its runnext would otherwise starve.
      if (v->runnext.load(std::memory_order_relaxed) != nullptr && sw == v->seen_switches.load(std::memory_order_relaxed)) {
        if (G* g = take_runnext(v)) return g;
      }
      v->seen_switches.store(sw, std::memory_order_relaxed);
    }
  }
  return nullptr;
}

void retire(P* p) {
  // Hand everything queued here to the others, then sleep until reactivated. A wake-up
  // meant for an idle worker that reaches this one is passed on.
  idle_remove(p);
  while (G* g = take_runnext(p)) global_put_batch(g, g, 1);
  while (G* g = runq_get(p)) global_put_batch(g, g, 1);
  stack_cache_flush();
  stop_spinning(p);
  wake_idle_p();
  p->retired.store(true, std::memory_order_release);
  while (p->id >= g_sched->nprocs.load(std::memory_order_acquire)) {
    futex_wait(&p->wake, 0);
    if (p->wake.exchange(0, std::memory_order_acquire) != 0 && p->id >= g_sched->nprocs.load()) {
      stop_spinning(p);
      wake_idle_p();
    }
  }
  p->retired.store(false, std::memory_order_release);
  p->wake.store(0, std::memory_order_relaxed);
}

// find_work() runs on g0: it returns a goroutine to run, sleeping until there is one.
G* find_work(P* p) {
  for (;;) {
    if (p->id >= g_sched->nprocs.load(std::memory_order_acquire)) {
      retire(p);
      continue;
    }
    poll_timers();
    G* g = next_local(p);
    if (!g) g = steal(p, false);
    if (g) {
      stop_spinning(p);
      return g;
    }
    // Spin a little before sleeping, as Go's idle Ms do: waking a sleeping worker costs
    // a futex call on both sides, far more than a short spin when work comes in bursts.
    // At most half the busy workers spin, so spinning cannot eat a loaded machine.
    int busy = g_sched->nprocs.load(std::memory_order_relaxed) - g_sched->nidle.load(std::memory_order_relaxed);
    if (!p->spinning.load(std::memory_order_relaxed) && 2 * g_sched->nspinning.load(std::memory_order_relaxed) < busy - 1) {
      p->spinning.store(true, std::memory_order_relaxed);
      g_sched->nspinning.fetch_add(1, std::memory_order_seq_cst);
    }
    if (p->spinning.load(std::memory_order_relaxed)) {
      for (int round = 0; round < kSpinRounds && !g; ++round) {
        for (int k = 0; k < 32; ++k) cpu_relax();
        g = next_local(p);
        if (!g) g = steal(p, false);
      }
      if (g) {
        stop_spinning(p);
        return g;
      }
    }
    // Go idle. Publish idleness first, then look once more: a waker that queued work
    // before seeing us idle is seen by this second look (both sides use seq_cst).
    idle_push(p);
    if (p->spinning.load(std::memory_order_relaxed)) {
      p->spinning.store(false, std::memory_order_relaxed);
      g_sched->nspinning.fetch_sub(1, std::memory_order_seq_cst);
    }
    if (work_available()) {
      if (!idle_remove(p)) consume_wake(p);
      continue;
    }
    int64_t timeout = -1;
    int64_t next_timer = next_timer_ns();
    if (next_timer >= 0) timeout = std::max<int64_t>(0, next_timer - now_ns());
    if (next_timer < 0 && g_sched->nidle.load(std::memory_order_relaxed) == g_sched->nprocs.load(std::memory_order_relaxed)) {
      note_all_idle();  // the last worker goes to sleep and no timer will wake one
    }
    // While some worker runs, check now and then that nothing starves in its runnext.
    bool someone_runs = g_sched->nidle.load(std::memory_order_relaxed) < g_sched->nprocs.load(std::memory_order_relaxed);
    if (someone_runs && (timeout < 0 || timeout > kStarvationCheckNs)) timeout = kStarvationCheckNs;
    futex_wait(&p->wake, 0, timeout);
    p->clock = coarse_now_ns();  // it may have slept for long
    bool woken = p->wake.exchange(0, std::memory_order_acquire) != 0;
    // Leave the idle list whatever woke us: a waker normally took us off already; if
    // we are still on it (a time-out, or a stale wake-up), take ourselves off.
    if (!idle_remove(p)) {
      if (!woken) consume_wake(p);  // a waker took us off and its wake-up is on its way
      continue;
    }
    if (!woken) {
      // Timed out: nothing woke us, so check that nothing starves in a runnext.
      if (G* s = steal(p, true)) return s;
    }
  }
}

void worker_main(P* p) {
  t_p = p;
  // The scheduler's frames (find_work(), switch_to() and what they call) lie below
  // this frame.
  set_worker_tid(p->id, static_cast<int>(gettid()), reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
  t_rng = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(p->id + 1);
  install_worker_signal_stack();
  for (;;) {
    G* g = find_work(p);
    set_pending(p, Pending::kNone, nullptr);
    switch_to(p, g);
  }
}

int default_procs() {
  if (const char* env = std::getenv("GLEAK_PROCS")) {
    long v = std::strtol(env, nullptr, 10);
    if (v >= 1 && v <= kMaxProcs) return static_cast<int>(v);
    std::fprintf(stderr, "gleak: ignoring GLEAK_PROCS=%s (want 1..%d)\n", env, kMaxProcs);
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return static_cast<int>(std::clamp<long>(n, 1, kMaxProcs));
}

void start_procs(int n) {
  std::lock_guard<std::mutex> lk(g_sched->procs_mu);
  int have = g_sched->nthreads.load(std::memory_order_relaxed);
  int old = g_sched->nprocs.load(std::memory_order_relaxed);
  g_sched->nprocs.store(n, std::memory_order_seq_cst);
  for (int i = have; i < n; ++i) {
    P* p = new P();
    p->id = i;
    p->events = arena_ring(static_cast<uint32_t>(i));
    p->clock = coarse_now_ns();
    g_sched->ps[i].store(p, std::memory_order_release);
    p->thread = std::thread(worker_main, p);
    p->thread.detach();
  }
  if (n > have) g_sched->nthreads.store(n, std::memory_order_release);
  arena_header()->procs.store(n, std::memory_order_relaxed);
  // Reactivate retired workers; wake idle ones that must now retire. Only a worker
  // taken off the idle list (or a retired one, which is on none) may be handed a
  // wake-up: a running worker would later take it for one meant for an idle worker.
  for (int i = 0; i < std::min(have, std::max(n, old)); ++i) {
    P* q = g_sched->ps[i].load(std::memory_order_acquire);
    if (idle_remove(q) || q->retired.load(std::memory_order_acquire)) wake_p(q);
  }
}

void start_runtime(int procs) {
  verify_context_layout();
  install_crash_handlers();
  start_procs(procs > 0 ? procs : default_procs());
  // After the arena exists: its exit handler must run after the gate's.
  install_gate();
  start_fork_helper();
}

}  // namespace

// ---- interface to the rest of core ------------------------------------------------------

[[gnu::noinline]] P* current_p() {
  asm volatile("" ::: "memory");
  return t_p;
}

G* current_g() {
  P* p = current_p();
  return p ? p->current : nullptr;
}

bool runtime_idle() {
  return g_sched->nidle.load(std::memory_order_seq_cst) == g_sched->nprocs.load(std::memory_order_seq_cst) &&
         !work_available() && next_timer_ns() < 0;
}


void ensure_started() {
  std::call_once(g_sched->started, [] { start_runtime(0); });
}

uint32_t fast_rand() {
  uint64_t& s = t_rng;
  if (s == 0) s = reinterpret_cast<uintptr_t>(&s) | 1;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return static_cast<uint32_t>(s >> 32);
}

int64_t coarse_now_ns() { return clock_ns(CLOCK_MONOTONIC_COARSE); }

int64_t now_ns() { return monotonic_ns(); }

void park(WaitReason reason, const void* obj, void (*unlock)(void*), void* arg, GState state, uint32_t count) {
  P* p = current_p();
  G* g = p->current;
#if !defined(GLEAK_NO_RECORDING)
  // The worker's coarse clock (4 ms resolution anyway) is read every 8th park, not on
  // each: a read costs as much as the rest of the recording on a channel hand-off. A
  // wait can thus appear to have begun up to 8 parks, or one uninterrupted run of the
  // goroutine, early.
  if ((p->tick & 7) == 0 || p->clock == 0) p->clock = coarse_now_ns();
  int64_t now = p->clock;
#else
  int64_t now = 0;
#endif
  {
    RecordWrite w(g);
    g->rec.wait_reason = reason;
    g->rec.wait_object = reinterpret_cast<uint64_t>(obj);
    g->rec.wait_since_ns = now;
    g->rec.wait_count = count;
    g->rec.state = state;
  }
  ring_emit(p->events, now, arena::EventKind::kPark, g->rec.id, reinterpret_cast<uint64_t>(obj),
            static_cast<uint32_t>(reason));
  G* next = find_runnable_fast(p);
  set_pending(p, Pending::kPark, g, unlock, arg);
  if (next) {
    switch_to(p, next);
  } else {
    switch_to_g0(p);
  }
  // switch_to() cleared the wait fields when it resumed g.
}

void ready(G* g) {
  P* p = current_p();
  G* by = p ? p->current : nullptr;
  uint64_t by_id = by ? by->rec.id : 0;
  uint64_t id;
  {
    RecordWrite w(g);
    g->rec.state = GState::kRunnable;
    g->rec.unparked_by = by_id;
    id = g->rec.id;
  }
  if (p != nullptr) {
    ring_emit(p->events, p->clock, arena::EventKind::kUnpark, id, by_id, 0);
  } else {
    emit_external(arena::EventKind::kUnpark, id, 0, 0);
  }
  if (p != nullptr && p->id < g_sched->nprocs.load(std::memory_order_relaxed)) {
    if (put_runnext(p, g)) wake_idle_p();
    return;
  }
  global_put_batch(g, g, 1);
  wake_idle_p();
}

void emit(arena::EventKind kind, uint64_t g, uint64_t arg, uint32_t aux) {
  P* p = current_p();
  if (p != nullptr) {
    ring_emit(p->events, p->clock, kind, g, arg, aux);
  } else {
    emit_external(kind, g, arg, aux);
  }
}

void wake_for_timer() {
  if (P* p = take_idle_p(false)) wake_p(p);
}

void for_each_g(void (*fn)(G*, void*), void* arg) {
  uint32_t n = g_sched->g_nchunks.load(std::memory_order_acquire);
  for (uint32_t c = 0; c < n; ++c) {
    G* chunk = g_sched->g_chunks[c];
    for (uint32_t i = 0; i < kGChunk; ++i) fn(&chunk[i], arg);
  }
}

}  // namespace gleak::internal

// ---- public API ---------------------------------------------------------------------------

namespace gleak {

using namespace internal;

namespace detail {

void* spawn_prepare(std::size_t size, std::size_t align, void** handle) {
  ensure_started();
  P* p = current_p();
  G* g = alloc_g(p);
  g->closure_size = static_cast<uint32_t>(size);
  if (size <= kInlineClosure && align <= 16) {
    g->closure = g->inline_closure;
    g->closure_on_heap = false;
  } else {
    g->closure_align = static_cast<uint32_t>(std::max<std::size_t>(align, 16));
    g->closure = ::operator new(size, std::align_val_t(g->closure_align));
    g->closure_on_heap = true;
  }
  *handle = g;
  return g->closure;
}

void spawn_commit(void* handle, void (*entry)(void*)) {
  G* g = static_cast<G*>(handle);
  P* p = current_p();
  G* parent = p ? p->current : nullptr;
  g->entry = entry;
  g->asan_fake_stack = nullptr;
  uint64_t id = g_sched->next_id.fetch_add(1, std::memory_order_relaxed);
  uint64_t parent_id = parent ? parent->rec.id : 0;
  uint32_t group = parent ? parent->rec.group : t_group;
  const char* labels = parent ? parent->rec.labels : t_labels;
  int64_t now = p ? p->clock : coarse_now_ns();
  {
    RecordWrite w(g);
    g->rec.state = GState::kRunnable;
    g->rec.id = id;
    g->rec.parent_id = parent_id;
    g->rec.create_pc = reinterpret_cast<uint64_t>(__builtin_return_address(0));
    g->rec.wait_reason = WaitReason::kNone;
    g->rec.worker = -1;
    g->rec.wait_object = 0;
    g->rec.wait_since_ns = 0;
    g->rec.unparked_by = 0;
    g->rec.context = 0;
    g->rec.stack_lo = g->rec.stack_hi = 0;
    g->rec.created_ns = now;
    g->rec.recovered_panics = 0;
    g->rec.wait_count = 0;
    g->rec.closure = reinterpret_cast<uint64_t>(g->closure);
    g->rec.closure_size = g->closure_size;
    g->rec.group = group;
    if (labels[0] != '\0') {
      std::memcpy(g->rec.labels, labels, sizeof g->rec.labels);
    } else {
      g->rec.labels[0] = '\0';
    }
  }
  if (p != nullptr && p->id < g_sched->nprocs.load(std::memory_order_relaxed)) {
    __atomic_store_n(&p->spawned, p->spawned + 1, __ATOMIC_RELAXED);  // read by num_goroutine()
    ring_emit(p->events, now, arena::EventKind::kSpawn, id, parent_id, 0);
    ring_count(p->events->spawned);
    put_runnext(p, g);
  } else {
    g_sched->plain_spawned.fetch_add(1, std::memory_order_relaxed);
    emit_external(arena::EventKind::kSpawn, id, parent_id, 0);
    global_put_batch(g, g, 1);
  }
  wake_idle_p();
}

int run_main(std::function<int()> main_fn, Config config) {
  if (current_g() != nullptr) panic("gleak::run called from a goroutine");
  int want = config.procs > 0 ? config.procs : 0;
  std::call_once(g_sched->started, [want] { start_runtime(want); });
  if (want > 0 && want != g_sched->nprocs.load()) start_procs(want);
  struct State {
    std::function<int()> fn;
    int result = 0;
    std::atomic<uint32_t> done{0};
  } st{std::move(main_fn)};
  go([&st] {
    G* self = current_g();
    watch_for_deadlock(self);
    st.result = st.fn();
    unwatch_main(self);
    st.done.store(1, std::memory_order_release);
    futex_wake(&st.done);
  });
  while (st.done.load(std::memory_order_acquire) == 0) futex_wait(&st.done, 0);
  return st.result;
}

}  // namespace detail

int procs() {
  ensure_started();
  return g_sched->nprocs.load(std::memory_order_relaxed);
}

int set_procs(int n) {
  ensure_started();
  int old = g_sched->nprocs.load();
  if (n < 1 || n > kMaxProcs) return old;
  if (n != old) start_procs(n);
  return old;
}

void yield() {
  P* p = current_p();
  G* g = p ? p->current : nullptr;
  if (g == nullptr) {
    sched_yield();
    return;
  }
  G* next = find_runnable_fast(p);
  if (next == nullptr) {
    if (p->id >= g_sched->nprocs.load(std::memory_order_relaxed)) {
      set_pending(p, Pending::kYield, g);
      switch_to_g0(p);
    } else {
      poll_timers();
    }
    return;
  }
  set_pending(p, Pending::kYield, g);
  switch_to(p, next);
}

int64_t num_goroutine() {
  int64_t n = g_sched->plain_spawned.load(std::memory_order_relaxed);
  int np = g_sched->nthreads.load(std::memory_order_acquire);
  for (int i = 0; i < np; ++i) {
    P* p = g_sched->ps[i].load(std::memory_order_acquire);
    n += __atomic_load_n(&p->spawned, __ATOMIC_RELAXED) - __atomic_load_n(&p->exited, __ATOMIC_RELAXED);
  }
  return n;
}

uint64_t goroutine_id() {
  G* g = current_g();
  return g ? g->rec.id : 0;
}

namespace internal {

char* current_labels(G** owner) {
  G* g = current_g();
  *owner = g;
  return g ? g->rec.labels : t_labels;
}

}  // namespace internal

}  // namespace gleak
