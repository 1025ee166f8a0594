// core/internal/wait.h — parking goroutines and threads on objects.
//
// A Waiter lives on the stack of the goroutine or thread that waits; it is linked into
// the object's queue under the object's lock. Waking reads what it needs from the
// Waiter before it readies the waiter, since the waiter's stack may unwind at once.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/internal/g.h"
#include "gleak/detail/wait.h"

namespace gleak::internal {

// ThreadParker blocks a plain thread (one that is not a goroutine).
struct ThreadParker {
  std::atomic<uint32_t> state{0};
  void park();
  void unpark();
};
ThreadParker* this_thread_parker();

}  // namespace gleak::internal

namespace gleak::detail {

struct SelectState;


// Waiter is defined in gleak::detail because the public WaitQueue points at it.
struct Waiter {
  internal::G* g = nullptr;               // the goroutine, or null for a thread
  internal::ThreadParker* tp = nullptr;   // the thread, when g is null
  Waiter* next = nullptr;
  Waiter* prev = nullptr;
  void* elem = nullptr;         // channels: value to send / where to receive
  SelectState* sel = nullptr;   // set when the wait is one case of a select
  int case_index = 0;
  bool ok = false;              // channels: a value moved (false: woken by close)
  void* chan = nullptr;
};

// SelectState is shared by the Waiters of one blocked select; the first channel that
// claims it (done 0 -> 1) completes the select.
struct SelectState {
  std::atomic<uint32_t> done{0};
  int fired = -1;
};

}  // namespace gleak::detail

namespace gleak::internal {

using detail::SelectState;
using detail::Waiter;

// WaitList is a FIFO of Waiters with O(1) removal.
struct WaitList {
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
};

void list_push(Waiter*& head, Waiter*& tail, Waiter* w);
void list_remove(Waiter*& head, Waiter*& tail, Waiter* w);
// list_pop() removes and returns the first waiter that can be woken: a select waiter
// whose select another case already won is dropped. Returns null when none is left.
Waiter* list_pop(Waiter*& head, Waiter*& tail);

// init_waiter() fills in who is waiting: the current goroutine or thread.
void init_waiter(Waiter* w);

// wait_on() parks the caller (goroutine or thread) until wake(w); the lock word is
// held on entry and released once the caller is safely parked.
void wait_on(Waiter* w, std::atomic<uint32_t>* lock, WaitReason reason, const void* obj);

// wake() makes the waiter runnable. Call it after releasing the object's lock.
void wake(Waiter* w);

// block_forever() parks the caller for good (nil channel, empty select).
[[noreturn]] void block_forever(WaitReason reason);

}  // namespace gleak::internal
