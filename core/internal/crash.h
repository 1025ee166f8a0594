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

// die() prints `header`, then the stack `pcs` as goroutine g's (trimmed of the
// runtime's own frames) and where g was created, then exits with status 2. Only the
// first thread to get here reports; others wait for the exit.
[[noreturn]] void die(const std::string& header, const uintptr_t* pcs, int n, G* g);

}  // namespace gleak::internal
