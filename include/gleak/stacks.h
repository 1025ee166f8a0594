// gleak/stacks.h — every goroutine's stack from inside the program, as Go's
// runtime.Stack(buf, true) gives it: for a debug endpoint, a log line on a slow
// request, or a test that wants to say where things hang.
//
// Both calls read the goroutine table while the program runs, without stopping it: a
// goroutine that runs meanwhile is shown running (its stack lives on another worker),
// and one that moved while it was read is marked as such. They symbolize with the
// program's DWARF (file:line, inlined functions), on a helper thread when called from
// a goroutine (the goroutine waits in state `syscall` meanwhile). GLEAK_TRACEBACK=system
// also shows gleak's own frames, as it does in crash reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gleak {

// StackFrame is one frame of a stack, or the go() call that created a goroutine.
struct StackFrame {
  std::string function;  // demangled; "??" when unknown
  std::string file;      // "" when the module has no line information
  int line = 0;
  uintptr_t pc = 0;
};

// GoroutineInfo is one goroutine as goroutines() saw it.
struct GoroutineInfo {
  uint64_t id = 0;
  uint64_t parent = 0;  // the goroutine that started it (0: a plain thread)
  // Go's words: "running", "runnable", "syscall", or why it waits ("chan receive",
  // "select", "sync.Mutex.Lock", "sleep", ...).
  std::string state;
  std::chrono::nanoseconds waited{0};  // parked or in a blocking call: for how long
  std::vector<StackFrame> stack;       // innermost first; empty when it runs elsewhere
  std::optional<StackFrame> created_by;
  bool current = false;  // the goroutine that called goroutines()
};

// goroutines() is every live goroutine, the calling one first (when called from one).
std::vector<GoroutineInfo> goroutines();

// write_goroutines() writes every live goroutine's stack to out in Go's format
// (`goroutine 7 [chan receive, 2 minutes]:`, frames, `created by ... in goroutine 1`),
// the calling goroutine first; what `gleak dump` and SIGQUIT show, from inside.
void write_goroutines(std::ostream& out);

}  // namespace gleak
