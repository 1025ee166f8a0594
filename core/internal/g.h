// core/internal/g.h — the goroutine descriptor.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arena/layout.h"
#include "core/internal/context_switch.h"

namespace gleak::internal {

using GState = arena::GoroutineState;
using WaitReason = arena::WaitReason;

// kInlineClosure is the room in the descriptor for a goroutine's closure; larger ones
// go to the heap.
inline constexpr std::size_t kInlineClosure = 80;

// G is one goroutine. It starts with its public record, so the descriptors, which live
// in chunks of the probe arena, are the goroutine table the inspector reads. Fields of
// `rec` are written inside a RecordWrite (seqlock) section.
struct alignas(64) G {
  arena::GoroutineRecord rec;
  G* next = nullptr;                // run queue / free list link
  void (*entry)(void*) = nullptr;   // runs and destroys the closure
  void* closure = nullptr;          // inline_closure or a heap block
  union {  // one sanitizer at a time
    void* asan_fake_stack = nullptr;  // AddressSanitizer: the fake stack of a switched-out goroutine
    void* tsan_fiber;                 // ThreadSanitizer: this goroutine's fiber (null: none yet)
  };
  uint32_t closure_size = 0;
  uint32_t closure_align = 0;  // of a heap closure: it is freed with the same alignment
  bool closure_on_heap = false;
  alignas(16) unsigned char inline_closure[kInlineClosure];

  MachineContext ctx() const { return reinterpret_cast<MachineContext>(rec.context); }
  void* stack_base() const { return reinterpret_cast<void*>(rec.stack_lo); }
  void* stack_top() const { return reinterpret_cast<void*>(rec.stack_hi); }
};

// 320 bytes: the record (192, labels included), the scheduler's fields and a closure.
static_assert(sizeof(G) == 320, "keep the descriptor small: it is RSS per goroutine");
static_assert(offsetof(G, rec) == 0, "the record must start the descriptor");

// RecordWrite makes the writes to a goroutine's record in its scope one seqlock update.
class RecordWrite {
 public:
  explicit RecordWrite(G* g) : r_(g->rec) {
#if !defined(GLEAK_NO_RECORDING)
    r_.seq.store(r_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
#endif
  }
  ~RecordWrite() {
#if !defined(GLEAK_NO_RECORDING)
    r_.seq.store(r_.seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
#endif
  }
  RecordWrite(const RecordWrite&) = delete;
  RecordWrite& operator=(const RecordWrite&) = delete;

 private:
  arena::GoroutineRecord& r_;
};

}  // namespace gleak::internal
