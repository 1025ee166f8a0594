// core/stacks.cc — goroutines() and write_goroutines() (gleak/stacks.h).
#include "gleak/stacks.h"

#include "core/internal/crash.h"
#include "core/internal/sched.h"
#include "gleak/runtime.h"

namespace gleak {

// Both capture the caller's stack here, then symbolize on a thread with a normal stack
// (libdw needs more than a goroutine's): blocking() gives one to a goroutine, and a
// plain thread has its own.

[[gnu::noinline]] std::vector<GoroutineInfo> goroutines() {
  uintptr_t pcs[64];
  int n = internal::capture_stack_from(__builtin_return_address(0), pcs, 64);
  internal::G* self = internal::current_g();
  return blocking([&] { return internal::goroutine_infos(self, pcs, n); });
}

[[gnu::noinline]] void write_goroutines(std::ostream& out) {
  uintptr_t pcs[64];
  int n = internal::capture_stack_from(__builtin_return_address(0), pcs, 64);
  internal::G* self = internal::current_g();
  std::string text = blocking([&] { return internal::goroutines_text(self, pcs, n); });
  out << text;
}

}  // namespace gleak
