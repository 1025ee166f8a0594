// core/crash_record.cc — the crash record: why and where the process died, and the parked
// goroutines' stacks, kept in the arena for `gleak dump`. A signal handler writes it:
// nothing here may allocate.
#include "core/internal/crash_parts.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "core/internal/probe.h"
#include "core/internal/sched.h"

namespace gleak::internal {

// ---- the crash record ------------------------------------------------------------------

namespace {

struct StackSnapshot {
  char* out;
  uint64_t used;
  uint64_t cap;
};

void snapshot_one(G* g, void* arg) {
  auto* s = static_cast<StackSnapshot*>(arg);
  if (!parked(g->rec.state)) return;
  std::size_t need = sizeof(arena::CrashStack) + arena::kMaxStackFrames * sizeof(uint64_t);
  if (s->used + need > s->cap) return;
  auto* cs = reinterpret_cast<arena::CrashStack*>(s->out + s->used);
  auto* frames = reinterpret_cast<uint64_t*>(cs + 1);
  arena::GoroutineRecord r;
  std::memcpy(static_cast<void*>(&r), static_cast<const void*>(&g->rec), sizeof r);
  cs->goroutine = r.id;
  cs->nframes = walk_saved_stack(r, frames, arena::kMaxStackFrames);
  s->used += sizeof(arena::CrashStack) + cs->nframes * sizeof(uint64_t);
}

// snapshot_stacks() keeps the stacks of the parked goroutines in the arena: their
// memory dies with the process, the arena file does not.
void snapshot_stacks() {
  arena::ArenaHeader* h = arena_header();
  uint64_t count = 0;
  for_each_g([](G* g, void* c) { *static_cast<uint64_t*>(c) += g->rec.state != GState::kFree; }, &count);
  uint64_t cap = count * (sizeof(arena::CrashStack) + arena::kMaxStackFrames * sizeof(uint64_t));
  if (cap == 0) return;
  uint64_t off = 0;
  auto* out = static_cast<char*>(arena_try_alloc(cap, &off));
  if (out == nullptr) return;
  StackSnapshot s{out, 0, cap};
  for_each_g(snapshot_one, &s);
  h->crash_stacks_bytes.store(s.used, std::memory_order_relaxed);
  h->crash_stacks_offset.store(off, std::memory_order_release);
}

}  // namespace

void write_crash_record(const Death& death, const uintptr_t* pcs, int n, G* g) {
  arena::ArenaHeader* h = arena_header();
  auto* cr = reinterpret_cast<arena::CrashRecord*>(reinterpret_cast<char*>(h) + h->crash_offset);
  uint32_t s = cr->seq.load(std::memory_order_relaxed);
  cr->seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  cr->goroutine = g ? g->rec.id : 0;
  cr->signal = death.signal;
  cr->tid = static_cast<int32_t>(gettid());
  cr->time_ns = coarse_now_ns();
  cr->fault_address = death.fault_address;
  cr->nframes = static_cast<uint32_t>(std::min<int>(n, arena::kMaxCrashFrames));
  for (uint32_t i = 0; i < cr->nframes; ++i) cr->frames[i] = pcs[i];
  cr->nancestors = g_chain.n;
  for (uint32_t i = 0; i < g_chain.n; ++i) cr->ancestors[i] = g_chain.ancestors[i];
  cr->ancestor_gone = g_chain.gone;
  copy_text(cr->message, sizeof cr->message, death.header);
  copy_text(cr->exception_type, sizeof cr->exception_type, death.exception_type);
  cr->present = 1;
  cr->seq.store(s + 2, std::memory_order_release);
  snapshot_stacks();
  arena_snapshot_maps();
  h->state.store(static_cast<uint32_t>(arena::ProcessState::kCrashed), std::memory_order_release);
}

}  // namespace gleak::internal
