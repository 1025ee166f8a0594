// core/select.cc — select over channels, after Go's runtime/select.go: lock every
// channel involved in address order, poll the cases in a random order, and if none is
// ready park on all of them at once; the first channel to claim the shared
// SelectState completes the select, and the other waiters are unlinked on wake-up.
#include <algorithm>
#include <cstddef>
#include <memory>

#include "arena/layout.h"
#include "core/internal/chan.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "gleak/runtime.h"

namespace gleak::detail {

// The inspector reads a waiting select's cases off its goroutine's stack by the layout
// the arena states.
static_assert(sizeof(SelectOp) == arena::kSelectCaseSize, "arena::kSelectCaseSize is SelectOp's size");
static_assert(offsetof(SelectOp, chan) == arena::kSelectCaseChan, "arena::kSelectCaseChan is SelectOp::chan's offset");

using namespace internal;

namespace {

constexpr int kSmall = 8;

struct Locks {
  ChanState* small[kSmall];
  std::unique_ptr<ChanState*[]> big;
  ChanState** order = small;
  int n = 0;

  Locks(SelectOp* ops, int nops) {
    if (nops > kSmall) {
      big.reset(new ChanState*[nops]);
      order = big.get();
    }
    for (int i = 0; i < nops; ++i) {
      if (ops[i].chan) order[n++] = ops[i].chan;
    }
    std::sort(order, order + n);
    n = static_cast<int>(std::unique(order, order + n) - order);
  }
  void lock() {
    for (int i = 0; i < n; ++i) spin_lock(order[i]->lock);
  }
  void unlock() {
    for (int i = n; i-- > 0;) spin_unlock(order[i]->lock);
  }
};

void unlock_all(void* arg) { static_cast<Locks*>(arg)->unlock(); }

// Small is storage for n values of T: on the stack up to kSmall, else on the heap.
template <typename T>
struct Small {
  T small[kSmall];
  std::unique_ptr<T[]> big;
  T* p = small;
  explicit Small(int n) {
    if (n > kSmall) {
      big.reset(new T[n]);
      p = big.get();
    }
  }
};

// shuffle() fills order with a random permutation of 0..n-1: polling the cases in a
// random order makes the choice among ready cases uniform.
void shuffle(int* order, int n) {
  for (int i = 0; i < n; ++i) order[i] = i;
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[fast_rand() % static_cast<uint32_t>(i + 1)]);
}

// poll_ready() completes the first ready case, in `order`, with the channels locked;
// its index (the locks released), or -1 when none is ready (the locks still held).
int poll_ready(SelectOp* ops, const int* order, int n, Locks& locks, bool* recv_ok) {
  for (int k = 0; k < n; ++k) {
    int i = order[k];
    ChanState* c = ops[i].chan;
    if (c == nullptr) continue;
    Waiter* w = nullptr;
    if (ops[i].is_send) {
      if (c->closed) {
        locks.unlock();
        gleak::panic("send on closed channel");
      }
      if (chan_try_send_locked(c, ops[i].elem, &w)) {
        locks.unlock();
        if (w) wake(w);
        return i;
      }
    } else {
      bool ok = false;
      if (chan_try_recv_locked(c, ops[i].elem, &ok, &w)) {
        locks.unlock();
        if (w) wake(w);
        *recv_ok = ok;
        return i;
      }
    }
  }
  return -1;
}

// enqueue_all() puts a waiter for self on every case's channel, all sharing sel.
void enqueue_all(SelectOp* ops, int n, Waiter* ws, SelectState& sel, const Waiter& self) {
  for (int i = 0; i < n; ++i) {
    ChanState* c = ops[i].chan;
    if (c == nullptr) continue;
    Waiter& w = ws[i];
    w.g = self.g;
    w.tp = self.tp;
    w.elem = ops[i].elem;
    w.sel = &sel;
    w.case_index = i;
    w.chan = c;
    if (ops[i].is_send) {
      list_push(c->sendq.head, c->sendq.tail, &w);
    } else {
      list_push(c->recvq.head, c->recvq.tail, &w);
    }
  }
}

// dequeue_others() unlinks the waiters of every case but the one that fired.
void dequeue_others(SelectOp* ops, int n, Waiter* ws, int fired) {
  for (int i = 0; i < n; ++i) {
    ChanState* c = ops[i].chan;
    if (c == nullptr || i == fired) continue;
    if (ops[i].is_send) {
      list_remove(c->sendq.head, c->sendq.tail, &ws[i]);
    } else {
      list_remove(c->recvq.head, c->recvq.tail, &ws[i]);
    }
  }
}

}  // namespace

int select_ops(SelectOp* ops, int n, bool has_default, bool* recv_ok) {
  if (n == 0) {
    if (has_default) return -1;
    block_forever(WaitReason::kSelectNoCases);
  }
  Small<int> order(n);
  shuffle(order.p, n);
  Locks locks(ops, n);
  locks.lock();
  if (int ready = poll_ready(ops, order.p, n, locks, recv_ok); ready >= 0) return ready;
  if (has_default) {
    locks.unlock();
    return -1;
  }
  if (locks.n == 0) {
    locks.unlock();
    block_forever(WaitReason::kSelectNoCases);  // only nil channels: never ready
  }

  // Park on every channel at once. The record names the select's cases (ops), so that
  // an inspector sees every channel it waits on, not only the first.
  SelectState sel;
  Small<Waiter> ws(n);
  Waiter self;
  init_waiter(&self);
  enqueue_all(ops, n, ws.p, sel, self);
  if (self.g != nullptr) {
    park(WaitReason::kSelect, ops, unlock_all, &locks, GState::kWaiting, static_cast<uint32_t>(n));
  } else {
    locks.unlock();
    self.tp->park();
  }

  // Woken by the case that won: unlink the others.
  locks.lock();
  int fired = sel.fired;
  dequeue_others(ops, n, ws.p, fired);
  locks.unlock();
  if (ops[fired].is_send) {
    if (!ws.p[fired].ok) gleak::panic("send on closed channel");
  } else {
    *recv_ok = ws.p[fired].ok;
  }
  return fired;
}

}  // namespace gleak::detail
