// core/stacks.cc — goroutines() and write_goroutines() (gleak/stacks.h).
#include "gleak/stacks.h"

#include <cstring>

#include "core/internal/crash.h"
#include "core/internal/sched.h"
#include "gleak/runtime.h"

namespace gleak {

// Both capture the caller's stack here, then symbolize on a thread with a normal stack
// (libdw needs more than a goroutine's): blocking() gives one to a goroutine, and a
// plain thread has its own.

namespace {

// caller_stack() keeps of the captured stack what lies from `site`, the caller's
// return address, on: the capture's own frames (and a sanitizer's backtrace
// interceptor) are not the caller's. All of it when site is not found.
int caller_stack(uintptr_t* pcs, int n, const void* site) {
  for (int i = 0; i < n; ++i) {
    if (pcs[i] != reinterpret_cast<uintptr_t>(site)) continue;
    std::memmove(pcs, pcs + i, sizeof(uintptr_t) * static_cast<std::size_t>(n - i));
    return n - i;
  }
  return n;
}

}  // namespace

[[gnu::noinline]] std::vector<GoroutineInfo> goroutines() {
  uintptr_t pcs[64];
  int n = caller_stack(pcs, internal::capture_stack(pcs, 64), __builtin_return_address(0));
  internal::G* self = internal::current_g();
  return blocking([&] { return internal::goroutine_infos(self, pcs, n); });
}

[[gnu::noinline]] void write_goroutines(std::ostream& out) {
  uintptr_t pcs[64];
  int n = caller_stack(pcs, internal::capture_stack(pcs, 64), __builtin_return_address(0));
  internal::G* self = internal::current_g();
  std::string text = blocking([&] { return internal::goroutines_text(self, pcs, n); });
  out << text;
}

}  // namespace gleak
