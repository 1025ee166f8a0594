// core/internal/probe.h — the runtime's side of the probe arena (arena/layout.h).
//
// The arena is created on first use; if it cannot be (no writable directory), the
// tables live in anonymous memory and the process cannot be inspected from outside.
// Recording is plain stores into memory the runtime touches anyway: no locks on the
// worker rings, no allocation, no system calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arena/layout.h"

namespace gleak::internal {

// arena_header() is the arena's header (creating the arena on first use).
arena::ArenaHeader* arena_header();

// arena_alloc() returns `bytes` of zeroed arena memory (64-byte aligned) and its file
// offset. Used for table chunks and rings; never freed.
void* arena_alloc(std::size_t bytes, uint64_t* offset);

// arena_try_alloc() is arena_alloc() for a dying process: it gives up (null) instead
// of waiting for the allocation lock, which the dying thread itself may hold.
void* arena_try_alloc(std::size_t bytes, uint64_t* offset);

// arena_file_path() is the arena file's path, or "" when the arena is not a file.
const char* arena_file_path();

// arena_recover_ring() is the ring of recovered panics, created on first use;
// arena_recover_ring_if_any() is null until then (and never allocates).
arena::RecoverRecord* arena_recover_ring();
arena::RecoverRecord* arena_recover_ring_if_any();

// arena_ring() is the event ring of worker `index` (arena::kExternalRing: the shared
// ring of plain threads), created on first use.
arena::Ring* arena_ring(uint32_t index);

// emit() records an event from wherever the caller runs: its worker's ring, or the
// shared ring of plain threads.
void emit(arena::EventKind kind, uint64_t g, uint64_t arg, uint32_t aux);

// emit_external() records an event made on a plain thread (serialised by a lock).
void emit_external(arena::EventKind kind, uint64_t g, uint64_t arg, uint32_t aux);

// ring_emit() appends to a ring owned by the calling worker.
inline void ring_emit(arena::Ring* ring, int64_t now, arena::EventKind kind, uint64_t g, uint64_t arg,
                      uint32_t aux) {
#if !defined(GLEAK_NO_RECORDING)
  uint64_t n = ring->written.load(std::memory_order_relaxed);
  arena::Event& e = ring->events[n & (arena::kRingEvents - 1)];
  e.time_ns = now;
  e.g = g;
  e.arg = arg;
  e.kind = kind;
  e.aux = aux;
  ring->written.store(n + 1, std::memory_order_release);
#else
  (void)ring, (void)now, (void)kind, (void)g, (void)arg, (void)aux;
#endif
}

// ring_count() adds one to a counter of the ring (Ring::spawned, Ring::exited), which
// only the ring's writer changes.
inline void ring_count(std::atomic<uint64_t>& counter) {
#if !defined(GLEAK_NO_RECORDING)
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
#else
  (void)counter;
#endif
}

// Object records: register_object() takes a record for a sync object at `address`,
// unregister_object() gives it back.
arena::ObjectRecord* register_object(arena::ObjectKind kind, const void* address, const void* create_pc);
void unregister_object(arena::ObjectRecord* rec);

// update_object() rewrites a record's kind-specific words under its seqlock. The
// seqlock has one writer at a time: the object's own lock orders its updates (a mutex's
// owner, a channel's state), except with `shared`, for objects whose updates race
// (WaitGroup::add() from many goroutines); those writers take the record with a CAS.
void update_object(arena::ObjectRecord* rec, uint64_t word0, uint64_t word1, uint32_t flags, bool shared = false);

// arena_publish_slab() records a goroutine stack slab of `bytes` at `base`.
void arena_publish_slab(const void* base, std::size_t bytes);

// set_worker_tid() publishes the thread id of worker `index`.
void set_worker_tid(int index, int tid, uint64_t scheduler_top);

// arena_snapshot_maps() copies /proc/self/maps into the arena (async-signal-safe).
void arena_snapshot_maps();

// arena_mark_exited() records a normal exit and removes the file.
void arena_mark_exited();

}  // namespace gleak::internal
