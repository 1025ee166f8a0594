// core/internal/crash.h — how the process dies: unrecovered panics, stack overflows
// and other fatal signals are reported in Go's format, then the process exits with 2.
#pragma once

#include <cstdint>
#include <string>

#include "core/internal/g.h"

namespace gleak::internal {

// install_crash_handlers() installs the terminate handler and the SIGSEGV/SIGBUS
// handlers. Called once when the runtime starts.
void install_crash_handlers();

// install_worker_signal_stack() gives the calling thread an alternate signal stack, so
// that a goroutine's stack overflow can still be reported.
void install_worker_signal_stack();

// capture_stack() records up to max return addresses of the calling context.
int capture_stack(uintptr_t* out, int max);

// Death describes why the process dies.
struct Death {
  std::string header;          // "panic: ..." / "fatal error: ..."
  int signal = 0;              // 0 for a panic
  uint64_t fault_address = 0;
  std::string exception_type;  // demangled, for a C++ exception that is not a gleak panic
};

// die() writes the crash record into the arena, prints the header, the stack `pcs` as
// goroutine g's (trimmed of the runtime's own frames) and where g was created, then
// exits with status 2. Only the first thread to get here reports; others wait for the
// exit.
[[noreturn]] void die(const Death& death, const uintptr_t* pcs, int n, G* g);

// die_with_report() is die() for a death that is no goroutine's doing (a global
// deadlock): it writes the crash record, prints the header and report, and exits 2.
[[noreturn]] void die_with_report(const Death& death, const std::string& report);

// note_recover() records a recovered panic on the current goroutine.
void note_recover(uint64_t throw_pc);

}  // namespace gleak::internal
