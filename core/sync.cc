// core/sync.cc — WaitGroup, Mutex, RWMutex and Cond. Each parks on its embedded
// WaitQueue; the queue's spin lock also guards the object's slow-path state.
#include "gleak/sync.h"

#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "core/internal/wait.h"
#include "gleak/runtime.h"

namespace gleak {

using namespace internal;

namespace {

void push(detail::WaitQueue& q, Waiter* w) { list_push(q.head, q.tail, w); }
Waiter* pop(detail::WaitQueue& q) { return list_pop(q.head, q.tail); }

// pop_all() unlinks every waiter into a chain through `next`, to wake after unlocking.
Waiter* pop_all(detail::WaitQueue& q) {
  Waiter* chain = nullptr;
  Waiter* last = nullptr;
  while (Waiter* w = pop(q)) {
    w->next = nullptr;
    if (last) {
      last->next = w;
    } else {
      chain = w;
    }
    last = w;
  }
  return chain;
}

void wake_chain(Waiter* w) {
  while (w) {
    Waiter* next = w->next;
    wake(w);
    w = next;
  }
}

uint64_t waiter_id(const Waiter* w) { return w->g ? w->g->rec.id : 0; }

using arena::ObjectKind;

void probe_update(const detail::ProbeRef& p, uint64_t w0, uint64_t w1, bool shared = false) {
  update_object(p.get(), w0, w1, 0, shared);
}

}  // namespace

namespace detail {

ProbeRef::ProbeRef(int kind, const void* object, const void* create_pc)
    : rec_(register_object(static_cast<ObjectKind>(kind), object, create_pc)) {}

ProbeRef::~ProbeRef() { unregister_object(rec_); }

}  // namespace detail

// The constructors are never inlined, so their return address is the line that made
// the object: the creation site the inspector shows.
WaitGroup::WaitGroup() : probe_(static_cast<int>(ObjectKind::kWaitGroup), this, __builtin_return_address(0)) {}
Mutex::Mutex() : probe_(static_cast<int>(ObjectKind::kMutex), this, __builtin_return_address(0)) {}
RWMutex::RWMutex() : probe_(static_cast<int>(ObjectKind::kRWMutex), this, __builtin_return_address(0)) {}
Cond::Cond(Mutex& m) : m_(&m), probe_(static_cast<int>(ObjectKind::kCond), this, __builtin_return_address(0)) {}

// ---- WaitGroup -------------------------------------------------------------------------

void WaitGroup::add(int64_t delta) {
  // The probe is updated before the counter: once it reaches zero with nobody parked,
  // a waiter may return and destroy this WaitGroup at once.
  probe_update(probe_, static_cast<uint64_t>(count() + delta), 0, /*shared=*/true);
  uint64_t s = state_.fetch_add(static_cast<uint64_t>(delta) << 32, std::memory_order_acq_rel) +
               (static_cast<uint64_t>(delta) << 32);
  auto v = static_cast<int32_t>(s >> 32);
  auto waiters = static_cast<uint32_t>(s);
  if (v < 0) panic("sync: negative WaitGroup counter");
  // As Go: a counter raised from zero while goroutines still wait for the previous
  // round's zero would be wiped by their release, or would hold them for ever.
  if (waiters != 0 && delta > 0 && v == delta) panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v != 0 || waiters == 0) return;
  // Waiters registered themselves under the queue lock and cannot return before they
  // are woken, so this WaitGroup is still alive here. The state goes to zero only if no
  // add() came in between.
  spin_lock(waiters_.lock);
  if (!state_.compare_exchange_strong(s, 0, std::memory_order_acq_rel)) {
    spin_unlock(waiters_.lock);
    panic("sync: WaitGroup misuse: Add called concurrently with Wait");
  }
  Waiter* chain = pop_all(waiters_);
  spin_unlock(waiters_.lock);
  wake_chain(chain);
}

void WaitGroup::wait() {
  if (count() == 0) return;
  spin_lock(waiters_.lock);
  uint64_t s = state_.load(std::memory_order_acquire);
  do {
    if (static_cast<int32_t>(s >> 32) == 0) {
      spin_unlock(waiters_.lock);
      return;
    }
  } while (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel));
  Waiter me;
  init_waiter(&me);
  push(waiters_, &me);
  wait_on(&me, &waiters_.lock, WaitReason::kWaitGroupWait, this);
  // Released at zero; a counter above zero already means a new round began before this
  // one's waiters had all returned (Go panics alike).
  if (static_cast<int32_t>(state_.load(std::memory_order_acquire) >> 32) != 0) {
    panic("sync: WaitGroup is reused before previous Wait has returned");
  }
  emit(arena::EventKind::kJoin, goroutine_id(), reinterpret_cast<uint64_t>(this), 0);
}

// ---- Mutex -------------------------------------------------------------------------------
// state_: 0 free, 1 locked, 2 locked with waiters. unlock() with waiters hands the
// mutex to the first waiter without releasing it.

void Mutex::set_owner(uint64_t g) {
  owner_.store(g, std::memory_order_relaxed);
  probe_update(probe_, g, 0);
}

void Mutex::lock() {
  uint32_t s = 0;
  if (state_.compare_exchange_strong(s, 1, std::memory_order_acquire)) {
    set_owner(goroutine_id());
    return;
  }
  for (int i = 0; i < 40; ++i) {
    cpu_relax();
    s = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_strong(s, 1, std::memory_order_acquire)) {
      set_owner(goroutine_id());
      return;
    }
  }
  spin_lock(waiters_.lock);
  s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s == 0) {
      if (state_.compare_exchange_weak(s, 1, std::memory_order_acquire)) {
        spin_unlock(waiters_.lock);
        set_owner(goroutine_id());
        return;
      }
    } else if (s == 1) {
      if (state_.compare_exchange_weak(s, 2, std::memory_order_relaxed)) break;
    } else {
      break;
    }
  }
  Waiter me;
  init_waiter(&me);
  push(waiters_, &me);
  wait_on(&me, &waiters_.lock, WaitReason::kMutexLock, this);
  // unlock() handed the mutex to us and recorded us as owner.
  std::atomic_thread_fence(std::memory_order_acquire);
}

bool Mutex::try_lock() {
  uint32_t s = 0;
  if (!state_.compare_exchange_strong(s, 1, std::memory_order_acquire)) return false;
  set_owner(goroutine_id());
  return true;
}

void Mutex::unlock() {
  uint32_t s = 1;
  set_owner(0);
  if (state_.compare_exchange_strong(s, 0, std::memory_order_release)) return;
  if (s == 0) panic("sync: unlock of unlocked mutex");
  spin_lock(waiters_.lock);
  Waiter* w = pop(waiters_);
  if (w == nullptr) {
    state_.store(0, std::memory_order_release);
    spin_unlock(waiters_.lock);
    return;
  }
  set_owner(waiter_id(w));
  state_.store(waiters_.head ? 2 : 1, std::memory_order_release);
  spin_unlock(waiters_.lock);
  wake(w);
}

// ---- RWMutex -------------------------------------------------------------------------------

void RWMutex::lock() {
  spin_lock(lock_);
  if (!writer_ && readers_ == 0) {
    writer_ = true;
    probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
    return;
  }
  ++writers_waiting_;
  Waiter me;
  init_waiter(&me);
  push(writers_q_, &me);
  wait_on(&me, &lock_, WaitReason::kRWMutexLock, this);
  std::atomic_thread_fence(std::memory_order_acquire);
}

bool RWMutex::try_lock() {
  SpinGuard g(lock_);
  if (writer_ || readers_ != 0) return false;
  writer_ = true;
  probe_update(probe_, 1, static_cast<uint64_t>(readers_));
  return true;
}

void RWMutex::unlock() {
  spin_lock(lock_);
  if (!writer_) {
    probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
    panic("sync: Unlock of unlocked RWMutex");
  }
  writer_ = false;
  Waiter* chain = pop_all(readers_q_);
  if (chain != nullptr) {
    for (Waiter* w = chain; w; w = w->next) ++readers_;
  } else if (Waiter* w = pop(writers_q_)) {
    --writers_waiting_;
    writer_ = true;
    w->next = nullptr;
    chain = w;
  }
  probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
  wake_chain(chain);
}

void RWMutex::lock_shared() {
  spin_lock(lock_);
  if (!writer_ && writers_waiting_ == 0) {
    ++readers_;
    probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
    return;
  }
  Waiter me;
  init_waiter(&me);
  push(readers_q_, &me);
  wait_on(&me, &lock_, WaitReason::kRWMutexRLock, this);
  std::atomic_thread_fence(std::memory_order_acquire);
}

bool RWMutex::try_lock_shared() {
  SpinGuard g(lock_);
  if (writer_ || writers_waiting_ != 0) return false;
  ++readers_;
  probe_update(probe_, 0, static_cast<uint64_t>(readers_));
  return true;
}

void RWMutex::unlock_shared() {
  spin_lock(lock_);
  if (readers_ <= 0) {
    probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
    panic("sync: RUnlock of unlocked RWMutex");
  }
  Waiter* w = nullptr;
  if (--readers_ == 0 && (w = pop(writers_q_)) != nullptr) {
    --writers_waiting_;
    writer_ = true;
  }
  probe_update(probe_, writer_ ? 1 : 0, static_cast<uint64_t>(readers_));
  spin_unlock(lock_);
  if (w) wake(w);
}

// ---- Cond ------------------------------------------------------------------------------------

void Cond::wait() {
  // Checked before this goroutine joins the queue: a panic once it is in would leave a
  // waiter behind on a stack that unwinds.
  if (m_->state_.load(std::memory_order_relaxed) == 0) panic("sync: unlock of unlocked mutex");
  spin_lock(waiters_.lock);
  Waiter me;
  init_waiter(&me);
  push(waiters_, &me);
  m_->unlock();
  wait_on(&me, &waiters_.lock, WaitReason::kCondWait, this);
  m_->lock();
}

void Cond::signal() {
  spin_lock(waiters_.lock);
  Waiter* w = pop(waiters_);
  spin_unlock(waiters_.lock);
  if (w) wake(w);
}

void Cond::broadcast() {
  spin_lock(waiters_.lock);
  Waiter* chain = pop_all(waiters_);
  spin_unlock(waiters_.lock);
  wake_chain(chain);
}

}  // namespace gleak
