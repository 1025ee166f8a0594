// core/wait.cc — see core/internal/wait.h.
#include "core/internal/wait.h"

#include "core/internal/futex.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"

namespace gleak::internal {

void ThreadParker::park() {
  while (state.exchange(0, std::memory_order_acquire) == 0) futex_wait(&state, 0);
}

void ThreadParker::unpark() {
  state.store(1, std::memory_order_release);
  futex_wake(&state);
}

ThreadParker* this_thread_parker() {
  thread_local ThreadParker parker;
  return &parker;
}

void list_push(Waiter*& head, Waiter*& tail, Waiter* w) {
  w->next = nullptr;
  w->prev = tail;
  if (tail) {
    tail->next = w;
  } else {
    head = w;
  }
  tail = w;
}

void list_remove(Waiter*& head, Waiter*& tail, Waiter* w) {
  if (w->prev) {
    w->prev->next = w->next;
  } else if (head == w) {
    head = w->next;
  } else {
    return;  // not in this list
  }
  if (w->next) {
    w->next->prev = w->prev;
  } else {
    tail = w->prev;
  }
  w->next = w->prev = nullptr;
}

Waiter* list_pop(Waiter*& head, Waiter*& tail) {
  while (Waiter* w = head) {
    list_remove(head, tail, w);
    if (w->sel != nullptr) {
      uint32_t expected = 0;
      if (!w->sel->done.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) continue;
      w->sel->fired = w->case_index;
    }
    return w;
  }
  return nullptr;
}

void init_waiter(Waiter* w) {
  w->g = current_g();
  w->tp = w->g ? nullptr : this_thread_parker();
}

namespace {
void unlock_word(void* w) { spin_unlock(*static_cast<std::atomic<uint32_t>*>(w)); }
}  // namespace

void wait_on(Waiter* w, std::atomic<uint32_t>* lock, WaitReason reason, const void* obj) {
  if (w->g != nullptr) {
    park(reason, obj, unlock_word, lock);
  } else {
    spin_unlock(*lock);
    w->tp->park();
  }
}

void wake(Waiter* w) {
  G* g = w->g;
  ThreadParker* tp = w->tp;
  if (g != nullptr) {
    ready(g);
  } else {
    tp->unpark();
  }
}

void block_forever(WaitReason reason) {
  if (current_g() != nullptr) {
    park(reason, nullptr, nullptr, nullptr);
  }
  std::atomic<uint32_t> never{0};
  for (;;) futex_wait(&never, 0);
}

}  // namespace gleak::internal
