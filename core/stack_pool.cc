// core/stack_pool.cc — see core/internal/stack_pool.h.
#include "core/internal/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/internal/check.h"
#include "core/internal/probe.h"
#include "core/internal/spinlock.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace gleak::internal {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kSlotsPerSlab = 1024;
constexpr std::size_t kMaxSlabs = 1 << 16;
constexpr std::size_t kMaxMprotectGuards = 16384;  // 2 mappings each, well under 65530
constexpr std::size_t kCacheMax = 128;
constexpr std::size_t kCacheBatch = 32;

struct FreeStack {
  FreeStack* next;
};

struct Pool {
  std::once_flag init;
  std::size_t slot_size = 0;  // guard page + usable stack
  GuardKind guard = GuardKind::kGuardInstall;
  std::size_t mprotect_guards = 0;
  SpinLock lock;
  FreeStack* free = nullptr;
  std::size_t free_count = 0;
  std::atomic<std::size_t> nslabs{0};
  char* slabs[kMaxSlabs];
};

Pool g_pool;

struct Cache {
  FreeStack* head = nullptr;
  std::size_t count = 0;
  ~Cache() { stack_cache_flush(); }
};
thread_local Cache t_cache;

void pool_init() {
  std::size_t kb = 64;
  if (const char* env = std::getenv("GLEAK_STACK_KB")) {
    long v = std::strtol(env, nullptr, 10);
    if (v >= 16 && v <= 1 << 20) kb = static_cast<std::size_t>(v);
  }
  std::size_t usable = (kb * 1024 + kPage - 1) / kPage * kPage;
  g_pool.slot_size = usable + kPage;
}

FreeStack* node_of(void* top) { return reinterpret_cast<FreeStack*>(static_cast<char*>(top) - 16); }
void* top_of(FreeStack* n) { return reinterpret_cast<char*>(n) + 16; }

// new_slab() maps one slab and returns its stacks as a list; called with the lock held.
void new_slab() {
  std::size_t n = g_pool.nslabs.load(std::memory_order_relaxed);
  GLEAK_CHECK(n < kMaxSlabs, "goroutine stack slabs exhausted");
  std::size_t bytes = g_pool.slot_size * kSlotsPerSlab;
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) {
    std::fprintf(stderr, "fatal error: out of memory mapping goroutine stacks: %s\n", std::strerror(errno));
    std::_Exit(2);
  }
  char* base = static_cast<char*>(mem);
  // Huge pages would turn one touched 4 KiB page per parked goroutine into 2 MiB-backed
  // regions; keep stacks on small pages.
  madvise(base, bytes, MADV_NOHUGEPAGE);
  for (std::size_t i = 0; i < kSlotsPerSlab; ++i) {
    char* slot = base + i * g_pool.slot_size;
    if (g_pool.guard == GuardKind::kGuardInstall) {
      if (madvise(slot, kPage, MADV_GUARD_INSTALL) != 0) {
        // Older kernel: fall back for this and every later slot.
        g_pool.guard = GuardKind::kMprotect;
      }
    }
    if (g_pool.guard == GuardKind::kMprotect) {
      if (g_pool.mprotect_guards < kMaxMprotectGuards && mprotect(slot, kPage, PROT_NONE) == 0) {
        ++g_pool.mprotect_guards;
      } else {
        g_pool.guard = GuardKind::kNone;
      }
    }
  }
  // Push in reverse so the lowest slots are handed out first.
  for (std::size_t i = kSlotsPerSlab; i-- > 0;) {
    FreeStack* node = node_of(base + (i + 1) * g_pool.slot_size);
    node->next = g_pool.free;
    g_pool.free = node;
  }
  g_pool.free_count += kSlotsPerSlab;
  g_pool.slabs[n] = base;
  g_pool.nslabs.store(n + 1, std::memory_order_release);
  arena_publish_slab(base, bytes);
}

}  // namespace

void* stack_alloc() {
  Cache& c = t_cache;
  if (c.head == nullptr) {
    std::call_once(g_pool.init, pool_init);
    std::lock_guard<SpinLock> lk(g_pool.lock);
    if (g_pool.free == nullptr) new_slab();
    for (std::size_t i = 0; i < kCacheBatch && g_pool.free != nullptr; ++i) {
      FreeStack* n = g_pool.free;
      g_pool.free = n->next;
      --g_pool.free_count;
      n->next = c.head;
      c.head = n;
      ++c.count;
    }
  }
  FreeStack* n = c.head;
  c.head = n->next;
  --c.count;
  return top_of(n);
}

void stack_free(void* top) {
  Cache& c = t_cache;
  FreeStack* n = node_of(top);
  n->next = c.head;
  c.head = n;
  if (++c.count > kCacheMax) {
    // Give a batch back so that stacks freed on one worker serve spawns on another.
    FreeStack* first = nullptr;
    FreeStack* last = nullptr;
    for (std::size_t i = 0; i < kCacheBatch; ++i) {
      FreeStack* x = c.head;
      c.head = x->next;
      --c.count;
      x->next = first;
      if (!last) last = x;
      first = x;
    }
    std::lock_guard<SpinLock> lk(g_pool.lock);
    last->next = g_pool.free;
    g_pool.free = first;
    g_pool.free_count += kCacheBatch;
  }
}

void stack_cache_flush() {
  Cache& c = t_cache;
  if (c.head == nullptr) return;
  std::lock_guard<SpinLock> lk(g_pool.lock);
  while (c.head) {
    FreeStack* x = c.head;
    c.head = x->next;
    x->next = g_pool.free;
    g_pool.free = x;
    ++g_pool.free_count;
  }
  c.count = 0;
}

std::size_t stack_size() {
  std::call_once(g_pool.init, pool_init);
  return g_pool.slot_size - kPage;
}

GuardKind stack_guard_kind() {
  std::call_once(g_pool.init, pool_init);
  return g_pool.guard;
}

StackHit stack_classify(const void* addr) {
  StackHit hit;
  auto a = reinterpret_cast<uintptr_t>(addr);
  std::size_t n = g_pool.nslabs.load(std::memory_order_acquire);
  std::size_t slab_bytes = g_pool.slot_size * kSlotsPerSlab;
  for (std::size_t i = 0; i < n; ++i) {
    auto base = reinterpret_cast<uintptr_t>(g_pool.slabs[i]);
    if (a >= base && a < base + slab_bytes) {
      std::size_t slot = (a - base) / g_pool.slot_size;
      uintptr_t slot_base = base + slot * g_pool.slot_size;
      hit.in_slab = true;
      hit.in_guard = a < slot_base + kPage;
      hit.slot_base = reinterpret_cast<void*>(slot_base);
      return hit;
    }
  }
  return hit;
}

}  // namespace gleak::internal
