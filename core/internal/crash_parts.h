// core/internal/crash_parts.h — what core/crash.cc (the handlers), core/crash_report.cc
// (the report) and core/crash_record.cc (the crash record in the arena) share. Only
// those three include it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "arena/layout.h"
#include "core/internal/crash.h"
#include "core/internal/g.h"
#include "core/internal/safe_writer.h"
#include "symbolize/symbolize.h"

namespace gleak::internal {

// kMaxFrames is the most frames of a crash stack: captured, walked and printed.
inline constexpr int kMaxFrames = 128;

// Traceback is GLEAK_TRACEBACK, Go's GOTRACEBACK levels.
enum class Traceback {
  kNone,    // the header lines only
  kSingle,  // the failing goroutine (the default)
  kAll,     // and every other goroutine
  kSystem,  // as all, with gleak's own frames shown
  kCrash,   // as system, then abort() for a core dump instead of exit status 2
};

// g_traceback is the level GLEAK_TRACEBACK asks for, set by install_crash_handlers()
// (and raised by SIGQUIT); defined in core/crash.cc.
extern Traceback g_traceback;

// ---- what the other goroutines were doing (core/crash_report.cc) -----------------------

// walk_saved_stack() follows the frame pointers of a goroutine that is not running,
// from the saved context in its record, staying inside its stack.
uint32_t walk_saved_stack(const arena::GoroutineRecord& r, uint64_t* out, uint32_t max);

// parked() says whether a goroutine in state s is off its worker with its context
// saved (waiting, runnable or in a syscall): walk_saved_stack() can walk its stack.
bool parked(GState s);

// ---- printing frames: symbolized, or as module+offset (core/crash_report.cc) -----------

// Printer turns addresses into report lines. StackKind says how to trim a stack.
enum class StackKind {
  kFailing,  // the dying goroutine: drop the panic machinery above the throw
  kParked,   // a parked goroutine: drop the scheduler's frames above the user's
};

class Printer {
 public:
  virtual ~Printer() = default;
  // stack() prints the frames; the first of `pcs` is the faulting instruction itself
  // when first_is_pc, else every entry is a return address.
  virtual void stack(Writer& w, const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) = 0;
  // created_by() prints `<prefix><function> in goroutine <parent>` and the location.
  virtual void created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) = 0;
  // site() prints one frame on one line: `<function> <file:line>`.
  virtual void site(Writer& w, uint64_t pc, const uint64_t* pcs, int n) = 0;
  // epilogue() is what the report says last.
  virtual void epilogue(Writer&) {}
};

// ModulePrinter prints frames as /path/to/module+0xoffset, from the copy of
// /proc/self/maps the crash record takes: nothing it does allocates or takes a lock,
// so it is what a signal handler uses. `gleak dump` of the arena turns the same
// addresses into functions and lines.
class ModulePrinter : public Printer {
 public:
  explicit ModulePrinter(const char* maps, std::size_t size) : maps_(maps), size_(size) {}

  void stack(Writer& w, const uint64_t* pcs, int n, bool, StackKind) override;
  void created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) override;
  void site(Writer& w, uint64_t pc, const uint64_t*, int) override;
  void epilogue(Writer& w) override;

 private:
  // location() finds the mapping that holds pc in the maps text and prints its file
  // and pc's offset from where the file is loaded (an ELF address for addr2line).
  void location(Writer& w, uint64_t pc);
  // readable() says whether the ELF header at base is in a readable mapping.
  bool readable(uint64_t base) const;
  std::string_view text() const { return {maps_, size_}; }

  const char* maps_;
  std::size_t size_;
  bool any_ = false;
};

// SymbolPrinter prints function, file:line and inlined frames with libdw. libdw needs
// a large stack and is not async-signal-safe: it runs on a thread of its own, never in
// a signal handler.
class SymbolPrinter : public Printer {
 public:
  SymbolPrinter() : sym_(getpid()) {}

  void stack(Writer& w, const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) override;

  // frames() is the stack as stack() prints it: inlined frames expanded, trimmed to
  // the user's unless the traceback level shows the runtime.
  std::vector<symbolize::Frame> frames(const uint64_t* pcs, int n, bool first_is_pc, StackKind kind);

  // creation() is the user's frame of the go() call at pc; none for a goroutine the
  // runtime made itself (run()'s main goroutine).
  std::optional<symbolize::Frame> creation(uint64_t pc);

  void created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) override;
  void site(Writer& w, uint64_t pc, const uint64_t* pcs, int n) override;

 private:
  // chain() is pc's chain of inlined functions, innermost first, looked up once.
  const std::vector<symbolize::Frame>& chain(uint64_t pc, bool is_return);
  // location() is where f is: file:line, else its module, else its address.
  static void location(Writer& w, const symbolize::Frame& f);
  // one_line() prints f on one line: `<function> <location>`.
  static void one_line(Writer& w, const symbolize::Frame& f);
  // frame() prints f as a frame of a stack: its function, then its location and offset.
  static void frame(Writer& w, const symbolize::Frame& f);
  // trim() narrows [begin, end) to the user's frames, as Go's tracebacks hide the
  // runtime's.
  static void trim(const std::vector<symbolize::Frame>& frames, StackKind kind, std::size_t* b, std::size_t* e);

  symbolize::Symbolizer sym_;
  std::unordered_map<uint64_t, std::vector<symbolize::Frame>> cache_;
};

// ---- the report (core/crash_report.cc) -------------------------------------------------

// Chain is a goroutine's creation chain, as far as its ancestors are alive.
struct Chain {
  arena::CrashAncestor ancestors[arena::kMaxAncestors];
  uint32_t n = 0;
  uint64_t gone = 0;  // the first ancestor that has exited (0: none)
};
// g_chain is the dying goroutine's creation chain: die() takes it once, for the crash
// record and the report alike.
extern Chain g_chain;

// collect_chain() fills c with r's creation chain: its parents while they are alive.
void collect_chain(const arena::GoroutineRecord& r, Chain* c);

// write_report() writes the crash report to w with p: the header and, as
// GLEAK_TRACEBACK says, the failing goroutine's (or thread's) stack `pcs`, where it was
// created, the panics it recovered, and every other goroutine. With a ModulePrinter it
// neither allocates nor locks: a signal handler calls it.
void write_report(Writer& w, Printer& p, const Death& d, const uintptr_t* pcs, int n, G* g, int tid);

// ---- the crash record (core/crash_record.cc) -------------------------------------------

// write_crash_record() fills the arena's crash record (why, where, the stack and
// g_chain), keeps the parked goroutines' stacks and /proc/self/maps in the arena, and
// marks the process crashed. A signal handler calls it: it does not allocate.
void write_crash_record(const Death& death, const uintptr_t* pcs, int n, G* g);

}  // namespace gleak::internal
