// core/groups.cc — goroutine groups (gleak/detail/group.h): every goroutine belongs
// to the group of the goroutine or plain thread that started it, so that a test can
// ask for the goroutines it started and for none of another test's.
#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include <sched.h>

#include "core/internal/g.h"
#include "core/internal/sched.h"
#include "gleak/detail/group.h"

namespace gleak::detail {

using namespace internal;

namespace {

std::atomic<uint32_t> g_next_group{1};

}  // namespace

uint32_t current_group() {
  G* g = current_g();
  return g ? g->rec.group : t_group;
}

uint32_t set_current_group(uint32_t group) {
  G* g = current_g();
  if (g == nullptr) return std::exchange(t_group, group);
  uint32_t old = g->rec.group;
  RecordWrite w(g);
  g->rec.group = group;
  return old;
}

uint32_t new_group() {
  uint32_t n;
  do {
    n = g_next_group.fetch_add(1, std::memory_order_relaxed);
  } while (n == 0);  // after wrapping around
  return n;
}

std::vector<GoroutineBrief> live_goroutines(uint32_t group) {
  struct Ctx {
    uint32_t group;
    std::vector<GoroutineBrief> out;
  } ctx{group, {}};
  for_each_g(
      [](G* g, void* arg) {
        auto* c = static_cast<Ctx*>(arg);
        // A seqlock read, as the inspector's: the record may change under us. A
        // record stays odd for as long as its writer needs (the first switch to a
        // goroutine allocates its stack inside the update), so a reader that gives up
        // keeps what it read rather than dropping a goroutine that exists.
        GoroutineBrief b;
        for (int attempt = 0;; ++attempt) {
          uint32_t s0 = g->rec.seq.load(std::memory_order_acquire);
          b = GoroutineBrief{g->rec.id, g->rec.parent_id, g->rec.group, static_cast<uint32_t>(g->rec.state)};
          std::atomic_thread_fence(std::memory_order_acquire);
          if ((s0 & 1) == 0 && g->rec.seq.load(std::memory_order_relaxed) == s0) break;
          if (attempt == 1000) break;
          if (attempt % 16 == 15) sched_yield();
        }
        auto st = static_cast<GState>(b.state);
        if (st == GState::kFree || st == GState::kDead) return;
        if (c->group == 0 || b.group == c->group) c->out.push_back(b);
      },
      &ctx);
  std::sort(ctx.out.begin(), ctx.out.end(), [](const GoroutineBrief& a, const GoroutineBrief& b) { return a.id < b.id; });
  return std::move(ctx.out);
}

}  // namespace gleak::detail
