// gleak/detail/spawn.h — the non-template entry points behind go() and blocking().
// Not part of the public API: names here may change.
#pragma once

#include <cstddef>
#include <new>
#include <tuple>
#include <type_traits>
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

// GoClosure holds what go(f, args...) runs: f and its decay-copied arguments.
template <class F, class... Args>
struct GoClosure {
  template <class G, class... A>
  explicit GoClosure(G&& g, A&&... a) : fn(std::forward<G>(g)), args(std::forward<A>(a)...) {}
  void operator()() { std::apply(fn, std::move(args)); }
  F fn;
  std::tuple<Args...> args;
};

// touched() makes pending stores to *p happen before this point, so that a moved-from
// object's nulls reach memory instead of being dropped as dead stores.
template <class T>
[[gnu::always_inline]] inline void touched(T* p) noexcept {
  asm volatile("" : : "r"(p) : "memory");
}

// moved_from<A>(x) finishes a move out of go()'s argument x: an rvalue of a plain
// class (a lambda capturing pointers or references, a function object) has its bytes
// zeroed, since its move left copies of the addresses behind; one of another class has
// the nulls its move left made real. Lvalues are the caller's and stay untouched.
template <class A, class T>
[[gnu::always_inline]] inline void moved_from(T& x) noexcept {
  if constexpr (!std::is_lvalue_reference_v<A>) {
    using D = std::remove_cv_t<std::remove_reference_t<A>>;
    if constexpr (std::is_class_v<D> && std::is_trivially_copyable_v<D> && std::is_trivially_destructible_v<D> &&
                  !std::is_const_v<std::remove_reference_t<A>>) {
      __builtin_memset(static_cast<void*>(const_cast<D*>(&x)), 0, sizeof(D));
    }
    touched(&x);
  }
}

template <class F>
void call_thunk(void* p) {
  (*static_cast<F*>(p))();
}

// run_blocking() runs fn(arg) off the worker (see gleak::blocking).
void run_blocking(void (*fn)(void*), void* arg);

}  // namespace gleak::detail
