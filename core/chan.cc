// core/chan.cc — channels, after Go's runtime/chan.go: a lock, a ring buffer, and FIFO
// queues of parked senders and receivers. A value goes straight from a parked sender's
// frame to the receiver (or the reverse) without touching the buffer when it can.
#include <algorithm>
#include <cstdlib>
#include <new>

#include "core/internal/chan.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "gleak/runtime.h"

namespace gleak::internal {

bool chan_try_send_locked(ChanState* c, void* elem, Waiter** wake_w) {
  if (Waiter* r = list_pop(c->recvq.head, c->recvq.tail)) {
    c->ops->move_construct(r->elem, elem);
    r->ok = true;
    *wake_w = r;
    return true;
  }
  if (c->count < c->cap) {
    c->ops->move_construct(c->slot(c->sendx), elem);
    if (++c->sendx == c->cap) c->sendx = 0;
    ++c->count;
    return true;
  }
  return false;
}

bool chan_try_recv_locked(ChanState* c, void* out, bool* ok, Waiter** wake_w) {
  if (Waiter* s = list_pop(c->sendq.head, c->sendq.tail)) {
    if (c->cap == 0) {
      c->ops->move_construct(out, s->elem);
    } else {
      // The buffer is full: take its head, and put the sender's value at its tail.
      void* head = c->slot(c->recvx);
      c->ops->move_construct(out, head);
      c->ops->destroy(head);
      c->ops->move_construct(head, s->elem);
      if (++c->recvx == c->cap) c->recvx = 0;
      c->sendx = c->recvx;
    }
    s->ok = true;
    *wake_w = s;
    *ok = true;
    return true;
  }
  if (c->count > 0) {
    void* head = c->slot(c->recvx);
    c->ops->move_construct(out, head);
    c->ops->destroy(head);
    if (++c->recvx == c->cap) c->recvx = 0;
    --c->count;
    *ok = true;
    return true;
  }
  if (c->closed) {
    *ok = false;
    return true;
  }
  return false;
}

}  // namespace gleak::internal

namespace gleak::detail {

using namespace internal;

[[gnu::noinline]] ChanState* chan_make(const ElemOps* ops, std::size_t capacity) {
  ensure_started();
  // As Go's makechan: a buffer whose size overflows, or that no allocation could hold.
  std::size_t stride = (ops->size + ops->align - 1) / ops->align * ops->align;
  if (stride > 0 && capacity > (std::size_t{1} << 47) / stride) gleak::panic("makechan: size out of range");
  auto* c = new ChanState();
  c->ops = ops;
  c->cap = capacity;
  c->probe = register_object(arena::ObjectKind::kChannel, c, __builtin_return_address(0));
  update_object(c->probe, capacity, 0, 0);
  c->elem_stride = (ops->size + ops->align - 1) / ops->align * ops->align;
  if (capacity > 0) {
    c->buf = static_cast<unsigned char*>(
        ::operator new(c->elem_stride * capacity, std::align_val_t(std::max<std::size_t>(ops->align, 16))));
  }
  return c;
}

void chan_retain(ChanState* c) noexcept { c->refs.fetch_add(1, std::memory_order_relaxed); }

void chan_release(ChanState* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  for (std::size_t i = 0; i < c->count; ++i) c->ops->destroy(c->slot((c->recvx + i) % c->cap));
  if (c->buf) ::operator delete(c->buf, std::align_val_t(std::max<std::size_t>(c->ops->align, 16)));
  unregister_object(c->probe);
  delete c;
}

void chan_send(ChanState* c, void* elem) {
  if (c == nullptr) block_forever(WaitReason::kChanSendNil);
  spin_lock(c->lock);
  if (c->closed) {
    spin_unlock(c->lock);
    gleak::panic("send on closed channel");
  }
  Waiter* w = nullptr;
  if (chan_try_send_locked(c, elem, &w)) {
    spin_unlock(c->lock);
    if (w) wake(w);
    return;
  }
  Waiter me;
  init_waiter(&me);
  me.elem = elem;
  me.chan = c;
  list_push(c->sendq.head, c->sendq.tail, &me);
  wait_on(&me, &c->lock, WaitReason::kChanSend, c);
  if (!me.ok) gleak::panic("send on closed channel");
}

bool chan_recv(ChanState* c, void* out) {
  if (c == nullptr) block_forever(WaitReason::kChanReceiveNil);
  spin_lock(c->lock);
  Waiter* w = nullptr;
  bool ok = false;
  if (chan_try_recv_locked(c, out, &ok, &w)) {
    spin_unlock(c->lock);
    if (w) wake(w);
    return ok;
  }
  Waiter me;
  init_waiter(&me);
  me.elem = out;
  me.chan = c;
  list_push(c->recvq.head, c->recvq.tail, &me);
  wait_on(&me, &c->lock, WaitReason::kChanReceive, c);
  return me.ok;
}

void chan_close(ChanState* c) {
  if (c == nullptr) gleak::panic("close of nil channel");
  spin_lock(c->lock);
  if (c->closed) {
    spin_unlock(c->lock);
    gleak::panic("close of closed channel");
  }
  c->closed = true;
  update_object(c->probe, c->cap, c->count, arena::kObjectClosed);
  // Release every parked receiver (no value) and sender (they panic), after unlocking.
  Waiter* woken = nullptr;
  while (Waiter* r = list_pop(c->recvq.head, c->recvq.tail)) {
    r->ok = false;
    r->next = woken;
    woken = r;
  }
  while (Waiter* s = list_pop(c->sendq.head, c->sendq.tail)) {
    s->ok = false;
    s->next = woken;
    woken = s;
  }
  spin_unlock(c->lock);
  while (woken) {
    Waiter* next = woken->next;
    wake(woken);
    woken = next;
  }
}

std::size_t chan_len(const ChanState* c) noexcept {
  if (c == nullptr) return 0;
  return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}

std::size_t chan_cap(const ChanState* c) noexcept { return c ? c->cap : 0; }

}  // namespace gleak::detail
