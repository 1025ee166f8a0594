// gleak/detail/spawn.h — the non-template entry points behind go() and blocking().
// Not part of the public API: names here may change.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace gleak::detail {

// spawn_prepare() reserves a goroutine and storage of `size` bytes (aligned to
// `align`) for its closure; the caller constructs the closure there, then calls
// spawn_commit() with the function that runs and destroys it.
void* spawn_prepare(std::size_t size, std::size_t align, void** handle);

// spawn_commit() makes the prepared goroutine runnable. Its return address is the
// creation site shown in diagnostics, so it must be called from the inlined go().
[[gnu::noinline]] void spawn_commit(void* handle, void (*entry)(void* closure));

template <class F>
void run_and_destroy(void* p) {
  F* f = static_cast<F*>(p);
  (*f)();
  f->~F();
}

template <class F>
[[gnu::always_inline]] inline void spawn(F&& f) {
  using Fn = std::decay_t<F>;
  void* handle;
  void* storage = spawn_prepare(sizeof(Fn), alignof(Fn), &handle);
  ::new (storage) Fn(std::forward<F>(f));
  spawn_commit(handle, &run_and_destroy<Fn>);
}

template <class F>
void call_thunk(void* p) {
  (*static_cast<F*>(p))();
}

// run_blocking() runs fn(arg) off the worker (see gleak::blocking).
void run_blocking(void (*fn)(void*), void* arg);

}  // namespace gleak::detail
