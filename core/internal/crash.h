// core/internal/crash.h — how the process dies: unrecovered panics, stack overflows
// and fatal signals in goroutines are reported in Go's format (as much of it as
// GLEAK_TRACEBACK asks for), then the process exits with status 2, or aborts for a
// core dump with GLEAK_TRACEBACK=crash. docs/crash.md describes the whole path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/internal/g.h"
#include "gleak/stacks.h"

namespace gleak::internal {

// install_crash_handlers() reads GLEAK_TRACEBACK and installs the terminate handler and
// the handlers of SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT. Called once when the
// runtime starts.
void install_crash_handlers();

// install_worker_signal_stack() gives the calling thread an alternate signal stack, so
// that a goroutine's stack overflow can still be reported.
void install_worker_signal_stack();

// capture_stack() records up to max return addresses of the calling context.
int capture_stack(uintptr_t* out, int max);

// capture_stack_from() is capture_stack() from `site` on, a return address into the
// caller of the function asking: the capture's own frames (and a sanitizer's backtrace
// interceptor) are not the caller's. All of the stack when site is not on it (a frame
// the compiler merged away).
int capture_stack_from(const void* site, uintptr_t* out, int max);

// Death describes why the process dies. Fixed-size text: a signal handler fills it
// too, and must not allocate.
struct Death {
  char header[1024] = {};          // "panic: ..." / "fatal error: ..." (may span lines)
  int signal = 0;                  // 0 for a panic
  uint64_t fault_address = 0;
  char exception_type[256] = {};   // demangled, for a C++ exception that is not a gleak panic
};

// die() writes the crash record into the arena, prints the header, the stack `pcs` as
// goroutine g's (trimmed of the runtime's own frames), where g was created, and, as
// GLEAK_TRACEBACK says, every other goroutine; then exits with status 2 (or aborts).
// Only the first thread to get here reports; others wait for the end. With
// in_signal_handler it neither allocates nor symbolizes: frames are printed as
// module+offset, and `gleak dump` of the arena names them.
[[noreturn]] void die(const Death& death, const uintptr_t* pcs, int n, G* g, bool in_signal_handler);

// die_with_report() is die() for a death that is no goroutine's doing (a global
// deadlock): it writes the crash record, prints the header and report, and exits 2.
[[noreturn]] void die_with_report(const Death& death, const std::string& report);

// note_recover() records a panic that recover() stopped on the calling goroutine (or
// plain thread): its message, the C++ type when it is not a gleak::Panic, the stack at
// the throw (n may be 0 when unknown) and the return address of the recover() call.
void note_recover(const char* message, const char* type, const uintptr_t* frames, std::size_t n,
                  uintptr_t recover_pc);

// PanicCopy is what a crash report may need of a gleak::Panic that is still alive.
struct PanicCopy {
  const void* owner = nullptr;  // the Panic, as a key only: never followed
  char message[256] = {};
  int nframes = 0;
  uintptr_t frames[64] = {};
};

// panics_in_flight() gives copies of up to max gleak::Panics alive on the calling
// thread, oldest first, and their number: thrown and not yet caught, or caught and not
// yet destroyed.
int panics_in_flight(const PanicCopy** out, int max);

// goroutines_text() is Go's all-goroutine dump (gleak/stacks.h): self first, with the
// stack pcs (return addresses, innermost first) its caller captured, then every other
// live goroutine. goroutine_infos() is the same as records. Both symbolize: call them
// on a thread with a normal stack. self may be null (a plain thread).
std::string goroutines_text(G* self, const uintptr_t* pcs, int n);
std::vector<GoroutineInfo> goroutine_infos(G* self, const uintptr_t* pcs, int n);

}  // namespace gleak::internal
