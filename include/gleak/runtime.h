// gleak/runtime.h — goroutines, the scheduler, panic and recover.
//
// gleak runs goroutines as fibers (fixed-size, lazily committed stacks) over N worker
// threads with work stealing, the way Go's runtime runs goroutines over GOMAXPROCS Ps.
// The runtime starts by itself on the first go() or run(); it is process-wide.
//
// Differences from Go that C++ forces, stated once here:
//   * No preemption: a goroutine runs until it blocks, yields or returns. A loop that
//     never blocks keeps its worker (and the timers it would poll) busy.
//   * Stacks do not grow: each goroutine has a fixed virtual stack (default 64 KiB,
//     env GLEAK_STACK_KB) of which only touched pages cost memory. Overflow hits a
//     guard page and is reported as `fatal error: stack overflow` of that goroutine.
//   * gleak::blocking(fn) runs fn on a helper thread while the goroutine waits in state
//     `syscall`; thread-local state seen by fn is the helper's.
//   * Blocking calls made from a thread that is not a goroutine block that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gleak/detail/spawn.h"

namespace gleak {

// Unit is the element type of signal-only channels, Go's `struct{}`.
struct Unit {
  friend bool operator==(Unit, Unit) { return true; }
};

// Config holds the settings of run(). procs = 0 means: env GLEAK_PROCS, else the
// number of CPUs.
struct Config {
  int procs = 0;
};

// go() starts f(args...) as a new goroutine and returns at once. The arguments are
// decay-copied at the call, like the arguments of Go's `go` statement. May be called
// from goroutines and from plain threads; starts the runtime if it is not running.
template <class F, class... Args>
[[gnu::always_inline]] inline void go(F&& f, Args&&... args) {
  // The closure is built in place, in the goroutine's own storage: no staging copy is
  // left in the caller's frame, and what the caller passed as an rvalue is left moved
  // from in memory (its handles null), so no stale address remains there either.
  using Closure = detail::GoClosure<std::decay_t<F>, std::decay_t<Args>...>;
  void* handle;
  void* storage = detail::spawn_prepare(sizeof(Closure), alignof(Closure), &handle);
  ::new (storage) Closure(std::forward<F>(f), std::forward<Args>(args)...);
  detail::moved_from<F>(f);
  (detail::moved_from<Args>(args), ...);
  detail::spawn_commit(handle, &detail::run_and_destroy<Closure>);
}

namespace detail {
int run_main(std::function<int()> main_fn, Config config);
}

// run() runs main_fn as a goroutine (goroutine 1 in a fresh process) on config.procs
// workers and blocks the calling thread until it returns. Goroutines still alive then
// are abandoned, as when Go's main returns. Returns main_fn's result when it returns
// an int, else 0. An unrecovered panic in any goroutine ends the process with status 2
// instead. Call it from a plain thread (typically main()), not from a goroutine.
template <class F>
int run(F&& main_fn, Config config = {}) {
  using R = std::invoke_result_t<F&>;
  static_assert(std::is_void_v<R> || std::is_convertible_v<R, int>, "run() takes a function returning void or int");
  if constexpr (std::is_void_v<R>) {
    return detail::run_main(
        [fn = std::decay_t<F>(std::forward<F>(main_fn))]() mutable {
          fn();
          return 0;
        },
        config);
  } else {
    return detail::run_main(
        [fn = std::decay_t<F>(std::forward<F>(main_fn))]() mutable { return static_cast<int>(fn()); }, config);
  }
}

// procs() is the number of worker threads in use (Go's GOMAXPROCS(0)).
int procs();

// set_procs() changes the number of worker threads and returns the previous number
// (Go's GOMAXPROCS(n)). Workers beyond n finish their current goroutine and stop.
int set_procs(int n);

// yield() lets other runnable goroutines run first (Go's runtime.Gosched()). From a
// plain thread it yields the thread.
void yield();

// num_goroutine() is the number of goroutines that exist (Go's runtime.NumGoroutine()).
int64_t num_goroutine();

// goroutine_id() is the current goroutine's id, or 0 on a plain thread. For
// diagnostics and tests only: program logic must not depend on it.
uint64_t goroutine_id();

// set_label() labels the calling goroutine (or plain thread) with key=value, as Go's
// pprof.SetGoroutineLabels does; an empty value removes the key. Goroutines it starts
// from then on inherit its labels. `gleak dump`, its JSON, `gleak top`, the pprof
// profile and `gleak trace` show them. All of a goroutine's labels, as "k=v" pairs,
// share 63 bytes: returns false, and changes nothing, when they would not fit, or when
// the key is empty or holds '=' or a newline, or the value holds a newline.
bool set_label(std::string_view key, std::string_view value);

// labels() is the calling goroutine's (or plain thread's) labels, in the order set.
std::vector<std::pair<std::string, std::string>> labels();

// blocking() runs fn, which may block in a system call, without holding a worker: the
// goroutine parks in state `syscall` and fn runs on a helper thread, so the worker
// goes on running other goroutines. Returns fn's result; an exception from fn is
// rethrown in the goroutine. On a plain thread fn simply runs.
template <class F>
auto blocking(F&& fn) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    auto call = [&] { fn(); };
    detail::run_blocking(&detail::call_thunk<decltype(call)>, &call);
  } else {
    std::optional<R> result;
    auto call = [&] { result.emplace(fn()); };
    detail::run_blocking(&detail::call_thunk<decltype(call)>, &call);
    return std::move(*result);
  }
}

// Error is a Go-style error value: empty (false) means no error.
class Error {
 public:
  Error() = default;
  explicit Error(std::string message) : msg_(std::make_shared<const std::string>(std::move(message))) {}
  explicit operator bool() const { return msg_ != nullptr; }
  // message() is the error text, "" for no error.
  const std::string& message() const;
  // Two errors are equal when both are empty or they are the same error value.
  friend bool operator==(const Error& a, const Error& b) { return a.msg_ == b.msg_; }

 private:
  std::shared_ptr<const std::string> msg_;
};

// PanicInfo describes a panic that recover() stopped.
struct PanicInfo {
  std::string message;          // the panic value, as text
  uint64_t goroutine = 0;       // the goroutine that panicked (0: a plain thread)
  std::vector<uintptr_t> stack; // return addresses at the panic site, innermost first
};

[[noreturn]] void panic(std::string message);

// Panic is the exception gleak::panic() throws. Any other exception that leaves a
// goroutine's function is a panic too; its message is what() of the exception.
class Panic : public std::exception {
 public:
  // Panic() captures the stack from the code that constructs it.
  explicit Panic(std::string message);
  Panic(const Panic& other);
  ~Panic() override;
  const char* what() const noexcept override { return message_.c_str(); }
  uint64_t goroutine() const { return goroutine_; }
  // stack() is the stack at the panic, innermost first; its first address is in the
  // function that called panic() (or constructed the Panic).
  const std::vector<uintptr_t>& stack() const { return stack_; }

 private:
  friend void panic(std::string message);
  // Panic(message, site) keeps the stack from the return address `site` on: panic()
  // passes its own, so that the stack starts at its caller.
  Panic(std::string message, const void* site);

  std::string message_;
  uint64_t goroutine_;
  std::vector<uintptr_t> stack_;
};

// panic() raises a panic with the given message (Go's panic(v)). Unless a recover()
// on the same goroutine's stack stops it, the process prints `panic: <message>`, the
// goroutine's stack and its creation site, and exits with status 2.
[[noreturn]] void panic(std::string message);

// recover() runs fn and returns the panic it raised, if any (Go's recover() in a
// deferred function). A panic is only recovered on the goroutine that raised it.
std::optional<PanicInfo> recover(const std::function<void()>& fn);

}  // namespace gleak
