// core/select.cc — select over channels, after Go's runtime/select.go: lock every
// channel involved in address order, poll the cases in a random order, and if none is
// ready park on all of them at once; the first channel to claim the shared
// SelectState completes the select, and the other waiters are unlinked on wake-up.
#include <algorithm>
#include <cstddef>
#include <memory>

#include "core/arena_layout.h"
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

}  // namespace

int select_ops(SelectOp* ops, int n, bool has_default, bool* recv_ok) {
  if (n == 0) {
    if (has_default) return -1;
    block_forever(WaitReason::kSelectNoCases);
  }
  // A random poll order makes the choice among ready cases uniform.
  int small_order[kSmall];
  std::unique_ptr<int[]> big_order;
  int* order = small_order;
  if (n > kSmall) {
    big_order.reset(new int[n]);
    order = big_order.get();
  }
  for (int i = 0; i < n; ++i) order[i] = i;
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[fast_rand() % static_cast<uint32_t>(i + 1)]);

  Locks locks(ops, n);
  locks.lock();
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
  if (has_default) {
    locks.unlock();
    return -1;
  }
  if (locks.n == 0) {
    locks.unlock();
    block_forever(WaitReason::kSelectNoCases);  // only nil channels: never ready
  }

  // Park on every channel at once.
  SelectState sel;
  Waiter small_w[kSmall];
  std::unique_ptr<Waiter[]> big_w;
  Waiter* ws = small_w;
  if (n > kSmall) {
    big_w.reset(new Waiter[n]);
    ws = big_w.get();
  }
  Waiter self;
  init_waiter(&self);
  const void* first_chan = nullptr;
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
    if (!first_chan) first_chan = c;
    if (ops[i].is_send) {
      list_push(c->sendq.head, c->sendq.tail, &w);
    } else {
      list_push(c->recvq.head, c->recvq.tail, &w);
    }
  }
  if (self.g != nullptr) {
    // The record names the select's cases, so that an inspector sees every channel
    // it waits on, not only the first.
    (void)first_chan;
    park(WaitReason::kSelect, ops, unlock_all, &locks, GState::kWaiting, static_cast<uint32_t>(n));
  } else {
    locks.unlock();
    self.tp->park();
  }

  // Woken by the case that won: unlink the others.
  locks.lock();
  int fired = sel.fired;
  for (int i = 0; i < n; ++i) {
    ChanState* c = ops[i].chan;
    if (c == nullptr || i == fired) continue;
    if (ops[i].is_send) {
      list_remove(c->sendq.head, c->sendq.tail, &ws[i]);
    } else {
      list_remove(c->recvq.head, c->recvq.tail, &ws[i]);
    }
  }
  locks.unlock();
  if (ops[fired].is_send) {
    if (!ws[fired].ok) gleak::panic("send on closed channel");
  } else {
    *recv_ok = ws[fired].ok;
  }
  return fired;
}

}  // namespace gleak::detail
