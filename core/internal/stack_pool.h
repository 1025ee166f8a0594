// core/internal/stack_pool.h — goroutine stacks: fixed-size slots in large slabs.
//
// One mapping per stack cannot reach a million goroutines under the default
// vm.max_map_count (65530), so stacks are slots of MAP_NORESERVE slabs (each slab one
// mapping, THP off so an untouched stack costs nothing and a touched page costs 4 KiB).
// The lowest page of each slot is a guard: MADV_GUARD_INSTALL where the kernel has it
// (Linux >= 6.13, does not split the mapping); otherwise an mprotect'ed page for the
// first kMaxMprotectGuards slots and no guard after that.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gleak::internal {

enum class GuardKind : uint8_t { kGuardInstall, kMprotect, kNone };

// StackSlot describes where a fault address lies relative to the stack slabs.
struct StackHit {
  bool in_slab = false;
  bool in_guard = false;
  void* slot_base = nullptr;  // lowest address of the slot (the guard page)
};

// stack_alloc() returns the top (highest address, 16-aligned) of a free stack of
// stack_size() usable bytes. stack_free() returns it. Both are safe from any thread;
// the per-worker caches make them cheap.
void* stack_alloc();
void stack_free(void* top);

std::size_t stack_size();      // usable bytes per stack
GuardKind stack_guard_kind();  // what guards the stacks of this process
StackHit stack_classify(const void* addr);  // async-signal-safe

// stack_cache_flush() moves the calling worker's cached stacks back to the global pool.
void stack_cache_flush();

}  // namespace gleak::internal
