// core/internal/g.h — the goroutine descriptor.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/internal/context_switch.h"

namespace gleak::internal {

// GState is a goroutine's life cycle, in Go's terms.
enum class GState : uint8_t {
  kFree = 0,      // descriptor unused
  kRunnable = 1,  // in a run queue
  kRunning = 2,   // on a worker
  kWaiting = 3,   // parked on an object (reason says why)
  kSyscall = 4,   // parked in gleak::blocking()
  kDead = 5,      // returned; descriptor about to be reused
};

// WaitReason is why a goroutine is parked, printed in Go's words.
enum class WaitReason : uint8_t {
  kNone = 0,
  kChanSend,
  kChanReceive,
  kChanSendNil,
  kChanReceiveNil,
  kSelect,
  kSelectNoCases,
  kMutexLock,
  kRWMutexRLock,
  kRWMutexLock,
  kWaitGroupWait,
  kCondWait,
  kSleep,
  kSyscall,
};

const char* wait_reason_name(WaitReason r);
const char* g_state_name(GState s);

struct Stack;

// kInlineClosure is the room in the descriptor for a goroutine's closure; larger ones
// go to the heap.
inline constexpr std::size_t kInlineClosure = 96;

// G is one goroutine. Descriptors live in append-only chunks and are reused; the
// chunks are the registry of all goroutines that diagnostics walk.
struct alignas(64) G {
  G* next = nullptr;                // run queue / free list link
  MachineContext ctx = nullptr;     // saved context while not running
  void* stack_base = nullptr;       // lowest usable byte of the stack (above the guard)
  void* stack_top = nullptr;        // null until the goroutine first runs
  uint64_t id = 0;
  uint64_t parent_id = 0;
  const void* create_pc = nullptr;  // return address in the code that called go()
  const void* wait_obj = nullptr;   // the object parked on
  int64_t wait_since_ns = 0;        // CLOCK_MONOTONIC_COARSE when the wait began
  void (*entry)(void*) = nullptr;   // runs and destroys the closure
  void* closure = nullptr;          // inline_closure or a heap block
  void* asan_fake_stack = nullptr;
  std::atomic<GState> state{GState::kFree};
  WaitReason reason = WaitReason::kNone;
  bool closure_on_heap = false;
  alignas(16) unsigned char inline_closure[kInlineClosure];
};

static_assert(sizeof(G) <= 256, "keep the descriptor small: it is RSS per goroutine");

}  // namespace gleak::internal
