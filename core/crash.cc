// core/crash.cc — see core/internal/crash.h.
#include "core/internal/crash.h"

#include <cxxabi.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "core/internal/check.h"
#include "core/internal/futex.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/stack_pool.h"
#include "core/symbolize.h"
#include "gleak/runtime.h"

namespace gleak::internal {
namespace {

constexpr int kMaxFrames = 128;
constexpr std::size_t kAltStack = 64 * 1024;

std::atomic<int> g_dying{0};
struct sigaction g_old_segv;
struct sigaction g_old_bus;

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

bool is_entry_machinery(const std::string& fn) {
  return starts_with(fn, "void gleak::detail::run_and_destroy") ||
         starts_with(fn, "gleak::internal::(anonymous namespace)::g_entry") || fn == "make_fcontext";
}

void append_frame(std::string& out, const symbolize::Frame& f) {
  char buf[64];
  out += f.function.empty() ? "??" : f.function;
  out += "\n\t";
  if (!f.file.empty()) {
    out += f.file + ":" + std::to_string(f.line);
  } else if (!f.module.empty()) {
    out += f.module;
  } else {
    std::snprintf(buf, sizeof buf, "0x%" PRIxPTR, f.pc);
    out += buf;
  }
  if (f.offset != 0) {
    // Inlined frames have no offset of their own, as in Go's tracebacks.
    std::snprintf(buf, sizeof buf, " +0x%" PRIxPTR, f.offset);
    out += buf;
  }
  out += "\n";
}

std::string format_report(const std::string& header, const uintptr_t* pcs, int n, G* g) {
  symbolize::Symbolizer sym(getpid());
  std::vector<symbolize::Frame> frames;
  for (int i = 0; i < n; ++i) {
    // The first address of a signal context is the faulting instruction itself.
    auto fs = sym.lookup_inlined(pcs[i], true);
    frames.insert(frames.end(), fs.begin(), fs.end());
  }
  // Down to a __cxa_throw, and then the panic machinery below it, is how this report
  // came to be written, not what failed.
  std::size_t begin = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].function == "__cxa_throw") {
      begin = i + 1;
      break;
    }
  }
  while (begin < frames.size() && symbolize::is_panic_machinery(frames[begin])) ++begin;
  std::size_t end = frames.size();
  for (std::size_t i = begin; i < frames.size(); ++i) {
    if (is_entry_machinery(frames[i].function)) {
      end = i;
      // Below the user's function sit the go() closure and std::apply: drop them.
      while (end > begin && (symbolize::is_gleak_frame(frames[end - 1]) || symbolize::is_std_plumbing(frames[end - 1]))) {
        --end;
      }
      break;
    }
  }
  // Above the user's frame that failed sit gleak's own (a channel operation that
  // panicked): hide them, as Go hides runtime.chansend.
  while (begin + 1 < end && symbolize::is_gleak_frame(frames[begin])) ++begin;
  std::string out = header + "\n\n";
  if (g != nullptr) {
    out += "goroutine " + std::to_string(g->rec.id) + " [running]:\n";
  } else {
    out += "thread " + std::to_string(gettid()) + " [running]:\n";
  }
  for (std::size_t i = begin; i < end; ++i) append_frame(out, frames[i]);
  if (frames.size() > static_cast<std::size_t>(kMaxFrames)) out += "...additional frames elided...\n";
  if (g != nullptr && g->rec.create_pc != 0) {
    auto cs = sym.lookup_inlined(static_cast<uintptr_t>(g->rec.create_pc), true);
    std::size_t k = symbolize::creation_site(cs);
    const symbolize::Frame& c = cs[k];
    out += "created by " + (c.function.empty() ? std::string("??") : c.function);
    if (g->rec.parent_id != 0) out += " in goroutine " + std::to_string(g->rec.parent_id);
    out += "\n\t";
    if (!c.file.empty()) out += c.file + ":" + std::to_string(c.line);
    char buf[32];
    std::snprintf(buf, sizeof buf, " +0x%" PRIxPTR "\n", cs.back().offset);
    out += buf;
  }
  return out;
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w <= 0) return;
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

std::string message_of_current_exception(std::vector<uintptr_t>* panic_stack, std::string* type) {
  std::exception_ptr ep = std::current_exception();
  if (!ep) return "std::terminate called without an active exception";
  if (const std::type_info* ti = abi::__cxa_current_exception_type()) *type = symbolize::demangle(ti->name());
  try {
    std::rethrow_exception(ep);
  } catch (const Panic& p) {
    *panic_stack = p.stack();
    type->clear();
    return p.what();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "exception of type " + *type;
  }
}

void on_terminate() {
  // Still on the stack of the throw: nothing was unwound (docs/scheduler.md).
  uintptr_t pcs[kMaxFrames];
  int n = capture_stack(pcs, kMaxFrames);
  std::vector<uintptr_t> panic_stack;
  Death d;
  std::string msg = message_of_current_exception(&panic_stack, &d.exception_type);
  if (!panic_stack.empty()) {
    n = static_cast<int>(std::min<std::size_t>(panic_stack.size(), kMaxFrames));
    std::copy(panic_stack.begin(), panic_stack.begin() + n, pcs);
  }
  d.header = "panic: " + msg;
  if (!d.exception_type.empty()) d.header += " [" + d.exception_type + "]";
  die(d, pcs, n, current_g());
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV: segmentation violation";
    case SIGBUS: return "SIGBUS: bus error";
    default: return "signal";
  }
}

[[maybe_unused]] void on_fault(int sig, siginfo_t* info, void* uctx) {
  G* g = current_g();
  StackHit hit = stack_classify(info->si_addr);
  if (g == nullptr && !hit.in_slab) {
    // Not a goroutine's fault: let the previous handler (or the default) have it.
    struct sigaction* old = sig == SIGSEGV ? &g_old_segv : &g_old_bus;
    sigaction(sig, old, nullptr);
    return;
  }
  uintptr_t pcs[kMaxFrames];
  int n = 0;
  auto* uc = static_cast<ucontext_t*>(uctx);
  uintptr_t fault_pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  pcs[n++] = fault_pc + 1;  // formatted as a return address: +1 keeps its own line
  // Walk the goroutine's frame pointers from the faulting context: unwinding through
  // the signal frame would need the unwinder, which is not async-signal-safe.
  auto fp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]);
  uintptr_t lo = g ? static_cast<uintptr_t>(g->rec.stack_lo) : 0;
  uintptr_t hi = g ? static_cast<uintptr_t>(g->rec.stack_hi) : 0;
  while (n < kMaxFrames && fp >= lo && fp + 16 <= hi && fp % 8 == 0) {
    auto* frame = reinterpret_cast<uintptr_t*>(fp);
    uintptr_t ret = frame[1];
    if (ret == 0) break;
    pcs[n++] = ret;
    if (frame[0] <= fp) break;
    fp = frame[0];
  }
  char head[200];
  Death d;
  d.signal = sig;
  d.fault_address = reinterpret_cast<uint64_t>(info->si_addr);
  if (hit.in_guard) {
    std::snprintf(head, sizeof head, "runtime: goroutine stack exceeds %zu-byte limit\nfatal error: stack overflow",
                  stack_size());
  } else {
    std::snprintf(head, sizeof head, "unexpected signal during goroutine execution\n[signal %s code=%d addr=%p pc=0x%" PRIxPTR "]",
                  signal_name(sig), info->si_code, info->si_addr, fault_pc);
  }
  d.header = head;
  die(d, pcs, n, g);
}

// walk_saved_stack() follows the frame pointers of a goroutine that is not running,
// from its saved context, staying inside its stack.
uint32_t walk_saved_stack(const G* g, uint64_t* out, uint32_t max) {
  uint64_t ctx = g->rec.context;
  uint64_t lo = g->rec.stack_lo, hi = g->rec.stack_hi;
  if (ctx == 0 || ctx < lo || ctx + arena::kContextSize > hi) return 0;
  uint32_t n = 0;
  out[n++] = *reinterpret_cast<const uint64_t*>(ctx + arena::kContextRip);
  uint64_t fp = *reinterpret_cast<const uint64_t*>(ctx + arena::kContextRbp);
  while (n < max && fp >= ctx && fp + 16 <= hi && fp % 8 == 0) {
    uint64_t ret = reinterpret_cast<const uint64_t*>(fp)[1];
    if (ret == 0) break;
    out[n++] = ret;
    uint64_t next = reinterpret_cast<const uint64_t*>(fp)[0];
    if (next <= fp) break;
    fp = next;
  }
  return n;
}

struct StackSnapshot {
  char* out;
  uint64_t used;
  uint64_t cap;
};

void snapshot_one(G* g, void* arg) {
  auto* s = static_cast<StackSnapshot*>(arg);
  GState st = g->rec.state;
  if (st != GState::kWaiting && st != GState::kRunnable && st != GState::kSyscall) return;
  std::size_t need = sizeof(arena::CrashStack) + arena::kMaxStackFrames * sizeof(uint64_t);
  if (s->used + need > s->cap) return;
  auto* cs = reinterpret_cast<arena::CrashStack*>(s->out + s->used);
  auto* frames = reinterpret_cast<uint64_t*>(cs + 1);
  cs->goroutine = g->rec.id;
  cs->nframes = walk_saved_stack(g, frames, arena::kMaxStackFrames);
  s->used += sizeof(arena::CrashStack) + cs->nframes * sizeof(uint64_t);
}

// snapshot_stacks() keeps the stacks of the parked goroutines in the arena: their
// memory dies with the process, the arena file does not.
void snapshot_stacks() {
  arena::ArenaHeader* h = arena_header();
  uint64_t count = 0;
  for_each_g([](G* g, void* c) { *static_cast<uint64_t*>(c) += g->rec.state != GState::kFree; }, &count);
  uint64_t cap = count * (sizeof(arena::CrashStack) + arena::kMaxStackFrames * sizeof(uint64_t));
  if (cap == 0) return;
  uint64_t off = 0;
  StackSnapshot s{static_cast<char*>(arena_alloc(cap, &off)), 0, cap};
  for_each_g(snapshot_one, &s);
  h->crash_stacks_bytes.store(s.used, std::memory_order_relaxed);
  h->crash_stacks_offset.store(off, std::memory_order_release);
}

void write_crash_record(const Death& death, const uintptr_t* pcs, int n, G* g) {
  arena::ArenaHeader* h = arena_header();
  auto* cr = reinterpret_cast<arena::CrashRecord*>(reinterpret_cast<char*>(h) + h->crash_offset);
  uint32_t s = cr->seq.load(std::memory_order_relaxed);
  cr->seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  cr->goroutine = g ? g->rec.id : 0;
  cr->signal = death.signal;
  cr->tid = static_cast<int32_t>(gettid());
  cr->time_ns = coarse_now_ns();
  cr->fault_address = death.fault_address;
  cr->nframes = static_cast<uint32_t>(std::min<int>(n, arena::kMaxCrashFrames));
  for (uint32_t i = 0; i < cr->nframes; ++i) cr->frames[i] = pcs[i];
  std::snprintf(cr->message, sizeof cr->message, "%s", death.header.c_str());
  std::snprintf(cr->exception_type, sizeof cr->exception_type, "%s", death.exception_type.c_str());
  cr->present = 1;
  cr->seq.store(s + 2, std::memory_order_release);
  snapshot_stacks();
  arena_snapshot_maps();
  h->state.store(static_cast<uint32_t>(arena::ProcessState::kCrashed), std::memory_order_release);
}

}  // namespace

void note_recover(uint64_t throw_pc) {
  P* p = current_p();
  G* g = p ? p->current : nullptr;
  if (g == nullptr) {
    emit_external(arena::EventKind::kRecover, 0, throw_pc, 0);
    return;
  }
  {
    RecordWrite w(g);
    ++g->rec.recovered_panics;
  }
  ring_emit(p->events, coarse_now_ns(), arena::EventKind::kRecover, g->rec.id, throw_pc, 0);
}

int capture_stack(uintptr_t* out, int max) {
  void* raw[kMaxFrames];
  int n = backtrace(raw, std::min(max, kMaxFrames));
  for (int i = 0; i < n; ++i) out[i] = reinterpret_cast<uintptr_t>(raw[i]);
  return n;
}

void die(const Death& death, const uintptr_t* pcs, int n, G* g) {
  if (g_dying.exchange(1) != 0) {
    // Another thread is already reporting; it ends the process.
    std::atomic<uint32_t> never{0};
    for (;;) futex_wait(&never, 0);
  }
  write_crash_record(death, pcs, n, g);
  if (g != nullptr) {
    if (P* p = current_p()) ring_emit(p->events, coarse_now_ns(), arena::EventKind::kPanic, g->rec.id, 0, 0);
  }
  std::string report;
  // libdw needs a big stack, and this may run on a goroutine's: symbolize on a thread.
  std::thread t([&] { report = format_report(death.header, pcs, n, g); });
  t.join();
  write_all(2, report);
  _exit(2);
}

void die_with_report(const Death& death, const std::string& report) {
  if (g_dying.exchange(1) != 0) {
    std::atomic<uint32_t> never{0};
    for (;;) futex_wait(&never, 0);
  }
  write_crash_record(death, nullptr, 0, nullptr);
  write_all(2, death.header + "\n\n" + report);
  _exit(2);
}

void install_worker_signal_stack() {
  void* mem = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = kAltStack;
  sigaltstack(&ss, nullptr);
}

void install_crash_handlers() {
  std::set_terminate(on_terminate);
  // Make sure backtrace() has loaded its unwinder before any crash needs it.
  void* warm[2];
  backtrace(warm, 2);
#if !defined(GLEAK_SANITIZE_BUILD)
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_old_segv);
  sigaction(SIGBUS, &sa, &g_old_bus);
#endif
  install_worker_signal_stack();
}

void check_failed(const char* expr, const char* file, int line, const char* msg) {
  uintptr_t pcs[kMaxFrames];
  int n = capture_stack(pcs, kMaxFrames);
  char head[512];
  std::snprintf(head, sizeof head, "fatal error: gleak internal check failed: %s (%s) at %s:%d", msg, expr, file, line);
  Death d;
  d.header = head;
  die(d, pcs, n, current_g());
}

}  // namespace gleak::internal
