// core/crash.cc — see core/internal/crash.h and docs/crash.md. The handlers: fatal
// signals, std::terminate, die() and the reporter thread. The report is written by
// core/crash_report.cc, the crash record by core/crash_record.cc.
#include "core/internal/crash.h"

#include <cxxabi.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "arena/clock.h"
#include "arena/duration.h"
#include "core/internal/check.h"
#include "core/internal/crash_parts.h"
#include "core/internal/futex.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/stack_pool.h"
#include "symbolize/symbolize.h"
#include "gleak/runtime.h"

namespace gleak::internal {

Traceback g_traceback = Traceback::kSingle;

namespace {

constexpr std::size_t kAltStack = 64 * 1024;

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

std::atomic<int> g_dying{0};
std::atomic<int> g_dying_tid{0};

// The reporter thread (install_reporter()) writes what needs a normal stack and the
// symbolizer: SIGQUIT's dump ('q' on its pipe), and the report of a fatal signal ('s'),
// which the signal handler hands over and waits for, at most g_symbolize_limit_ns.
int g_reporter_pipe[2] = {-1, -1};
std::atomic<int> g_reporter_tid{0};
bool g_symbolize_signals = true;  // GLEAK_CRASH_SYMBOLIZE=0: module+offset, as before
int64_t g_symbolize_limit_ns = 5'000'000'000;  // GLEAK_CRASH_SYMBOLIZE=<duration>
// The handed-over report: 0 none, 1 asked, 2 written (text holds it), 3 given up.
std::atomic<uint32_t> g_handoff{0};
struct sigaction g_old[NSIG];  // the handlers installed before ours

// The report's output buffer: static, since only the one dying thread writes a report.
char g_out[16384];

// ---- the handlers ----------------------------------------------------------------------

void message_of_current_exception(Death* d, std::vector<uintptr_t>* panic_stack) {
  std::exception_ptr ep = std::current_exception();
  std::string type, msg;
  const PanicCopy* flying[4];
  int nflying = panics_in_flight(flying, std::min(4, std::uncaught_exceptions()));
  if (!ep && nflying > 0) {
    // A panic escaped a destructor while another was unwinding: neither is caught.
    // Go prints each panic of the sequence, the later ones indented.
    const PanicCopy& last = *flying[nflying - 1];
    panic_stack->assign(last.frames, last.frames + last.nframes);
    msg = flying[0]->message;
    for (int i = 1; i < nflying; ++i) msg += std::string("\n\tpanic: ") + flying[i]->message;
  } else if (!ep) {
    msg = "std::terminate called without an active exception";
  } else {
    if (const std::type_info* ti = abi::__cxa_current_exception_type()) type = symbolize::demangle(ti->name());
    try {
      std::rethrow_exception(ep);
    } catch (const Panic& p) {
      *panic_stack = p.stack();
      type.clear();
      msg = p.what();
    } catch (const std::exception& e) {
      msg = e.what();
    } catch (...) {
      msg = "exception of type " + type;
    }
  }
  std::string header = "panic: " + msg;
  if (!type.empty()) header += " [" + type + "]";
  copy_text(d->header, sizeof d->header, header.c_str());
  copy_text(d->exception_type, sizeof d->exception_type, type.c_str());
}

void on_terminate() {
  // Still on the stack of the throw: nothing was unwound (docs/scheduler.md).
  uintptr_t pcs[kMaxFrames];
  int n = capture_stack(pcs, kMaxFrames);
  std::vector<uintptr_t> panic_stack;
  Death d;
  message_of_current_exception(&d, &panic_stack);
  if (!panic_stack.empty()) {
    n = static_cast<int>(std::min<std::size_t>(panic_stack.size(), kMaxFrames));
    std::copy(panic_stack.begin(), panic_stack.begin() + n, pcs);
  }
  die(d, pcs, n, current_g(), false);
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV: segmentation violation";
    case SIGBUS: return "SIGBUS: bus error";
    case SIGFPE: return "SIGFPE: floating-point exception";
    case SIGILL: return "SIGILL: illegal instruction";
    case SIGABRT: return "SIGABRT: abort";
    default: return "signal";
  }
}

// forward() gives a signal that is not a goroutine's to whoever had it before: the
// previous handler, or the default action.
void forward(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& old = g_old[sig];
  if ((old.sa_flags & SA_SIGINFO) != 0 && old.sa_sigaction != nullptr) {
    old.sa_sigaction(sig, info, uctx);
    return;
  }
  if (old.sa_handler == SIG_IGN && info->si_code <= 0) return;  // sent, and ignored as before
  if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
    old.sa_handler(sig);
    return;
  }
  // The default action: put it back and let the signal take it. A fault comes back
  // when the instruction runs again; a sent signal is sent again, and arrives as soon
  // as this handler returns.
  sigaction(sig, &old, nullptr);
  if (info->si_code <= 0) raise(sig);
}

// has_own_handler() says whether a disposition is a function (not the default, not
// ignored).
bool has_own_handler(const struct sigaction& sa) {
  if ((sa.sa_flags & SA_SIGINFO) != 0) return sa.sa_sigaction != nullptr;
  return sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
}

// from_goroutine() says whether a signal is a goroutine's own doing: a fault of its
// code or of its stack, or its own call of abort().
bool from_goroutine(int sig, const siginfo_t* info, const G* g, const StackHit& hit) {
  switch (sig) {
    case SIGSEGV:
    case SIGBUS: return info->si_code > 0 && (g != nullptr || hit.in_slab);
    case SIGFPE:
    case SIGILL: return info->si_code > 0 && g != nullptr;
    case SIGABRT: return g != nullptr && info->si_code == SI_TKILL && info->si_pid == getpid();
    default: return false;
  }
}

// walk_interrupted() follows the frame pointers of the goroutine a signal interrupted,
// from its registers, staying inside its stack.
void walk_interrupted(const ucontext_t* uc, const G* g, uintptr_t* pcs, int* n) {
  auto fp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]);
  uintptr_t lo = g ? static_cast<uintptr_t>(g->rec.stack_lo) : 0;
  uintptr_t hi = g ? static_cast<uintptr_t>(g->rec.stack_hi) : 0;
  while (*n < kMaxFrames && fp >= lo && fp + 16 <= hi && fp % 8 == 0) {
    auto* frame = reinterpret_cast<uintptr_t*>(fp);
    uintptr_t ret = frame[1];
    if (ret == 0) break;
    pcs[(*n)++] = ret;
    if (frame[0] <= fp) break;
    fp = frame[0];
  }
}

// abort_stack() unwinds a goroutine's own abort() with the unwinder (DWARF), through
// the signal frame: glibc's raise and abort keep no frame pointers, so a frame-pointer
// walk from them finds nothing. The unwinder is not async-signal-safe in general — it
// takes the loader's lock to find unwind tables — but this signal is no interruption
// at a random point: the goroutine called abort(), which holds neither that lock nor
// malloc's, and backtrace() was loaded at start-up. It replaces pcs[1..] with the
// frames past the interrupted one (pcs[0]); false if it cannot find that one.
bool abort_stack(uintptr_t interrupted_pc, uintptr_t* pcs, int* n) {
  void* raw[kMaxFrames];
  int got = backtrace(raw, kMaxFrames);
  for (int i = 0; i < got; ++i) {
    // The unwinder reports the interrupted frame by its exact pc (it is a signal
    // frame), every other one by its return address.
    if (reinterpret_cast<uintptr_t>(raw[i]) != interrupted_pc) continue;
    int k = 1;
    for (int j = i + 1; j < got && k < kMaxFrames; ++j) pcs[k++] = reinterpret_cast<uintptr_t>(raw[j]);
    *n = k;
    return true;
  }
  return false;
}

[[maybe_unused]] void on_signal(int sig, siginfo_t* info, void* uctx) {
  if (g_reporter_tid.load(std::memory_order_relaxed) == gettid() && g_handoff.load(std::memory_order_acquire) == 1) {
    // The reporter faulted while symbolizing a fatal signal's report (the heap may be
    // what is broken): hand the report back to the dying thread, which writes it with
    // addresses, and stay out of its way.
    uint32_t asked = 1;
    g_handoff.compare_exchange_strong(asked, 3, std::memory_order_acq_rel);
    futex_wake(&g_handoff);
    for (;;) pause();
  }
  if (g_dying.load(std::memory_order_acquire) != 0 && g_dying_tid.load(std::memory_order_relaxed) == gettid()) {
    // A fault while this thread writes a crash report: say so and end.
    static const char kMsg[] = "\nfatal error: fault while writing the crash report\n";
    (void)!write(2, kMsg, sizeof kMsg - 1);
    _exit(2);
  }
  G* g = current_g();
  StackHit hit = sig == SIGSEGV || sig == SIGBUS ? stack_classify(info->si_addr) : StackHit{};
  if (!from_goroutine(sig, info, g, hit)) {
    forward(sig, info, uctx);
    return;
  }
  // A fault of a goroutine's code, outside its stack's guard, first goes to a handler
  // installed before ours: libraries that map memory on demand, or catch faults in
  // their own regions, fix the page and return, and the instruction runs again. One
  // that does not return (it reports and exits) is as good as ours; only with no such
  // handler is the fault a goroutine's crash here.
  if ((sig == SIGSEGV || sig == SIGBUS) && !hit.in_guard && has_own_handler(g_old[sig])) {
    forward(sig, info, uctx);
    return;
  }
  // On the alternate signal stack (64 KiB): room for these.
  Death d;
  uintptr_t pcs[kMaxFrames];
  int n = 0;
  auto* uc = static_cast<ucontext_t*>(uctx);
  uintptr_t fault_pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  pcs[n++] = fault_pc + 1;  // as a return address, like every other frame
  if (sig == SIGABRT && abort_stack(fault_pc, pcs, &n)) {
    // Unwound through libc's frames, which keep no frame pointers.
  } else {
    // Walk the goroutine's frame pointers from the interrupted context: unwinding
    // through the signal frame would need the unwinder, which is not
    // async-signal-safe.
    walk_interrupted(uc, g, pcs, &n);
  }
  Writer w(d.header, sizeof d.header, -1);
  if (hit.in_guard) {
    w.str("runtime: goroutine stack exceeds ").dec(static_cast<int64_t>(stack_size()));
    w.str("-byte limit\nfatal error: stack overflow");
  } else {
    w.str("unexpected signal during goroutine execution\n[signal ").str(signal_name(sig));
    w.str(" code=").dec(info->si_code);
    if (sig != SIGABRT) w.str(" addr=").hex(reinterpret_cast<uint64_t>(info->si_addr));
    w.str(" pc=").hex(fault_pc).ch(']');
  }
  d.signal = sig;
  d.fault_address = sig == SIGABRT ? 0 : reinterpret_cast<uint64_t>(info->si_addr);
  die(d, pcs, n, g, true);
}

// finish() ends the process once the report is out: exit status 2, or with
// GLEAK_TRACEBACK=crash an abort() that the default SIGABRT action turns into a core
// dump (our own SIGABRT handler is taken away first, or abort() would come back here).
[[noreturn]] void finish() {
  if (g_traceback == Traceback::kCrash) {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    abort();
  }
  _exit(2);
}

// wait_if_dying() holds back a normal exit (main returning while another goroutine
// writes its crash report): the report's _exit(2) must be how the process ends.
void wait_if_dying() {
  if (g_dying.load(std::memory_order_acquire) == 0) return;
  std::atomic<uint32_t> never{0};
  for (;;) futex_wait(&never, 0);
}

Traceback parse_traceback(const char* v) {
  if (v == nullptr || *v == '\0') return Traceback::kSingle;
  std::string s(v);
  // Go's names, and its numbers: 0 is none, 1 all, 2 system.
  if (s == "none" || s == "0") return Traceback::kNone;
  if (s == "single") return Traceback::kSingle;
  if (s == "all" || s == "1") return Traceback::kAll;
  if (s == "system" || s == "2") return Traceback::kSystem;
  if (s == "crash") return Traceback::kCrash;
  std::fprintf(stderr, "gleak: GLEAK_TRACEBACK=%s is not none, single, all, system or crash; using single\n", v);
  return Traceback::kSingle;
}

}  // namespace

void note_recover(const char* message, const char* type, const uintptr_t* frames, std::size_t n,
                  uintptr_t recover_pc) {
  P* p = current_p();
  G* g = p ? p->current : nullptr;
  uint64_t id = g ? g->rec.id : 0;
  arena::RecoverRecord* ring = arena_recover_ring();
  uint64_t i = arena_header()->recover_written.fetch_add(1, std::memory_order_relaxed);
  arena::RecoverRecord& r = ring[i % arena::kRecoverRecords];
  r.seq.store(2 * i + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  r.goroutine = id;
  r.time_ns = coarse_now_ns();
  r.recover_pc = recover_pc;
  r.nframes = static_cast<uint32_t>(std::min<std::size_t>(n, arena::kRecoverFrames));
  for (uint32_t k = 0; k < r.nframes; ++k) r.frames[k] = frames[k];
  copy_text(r.type, sizeof r.type, type);
  copy_text(r.message, sizeof r.message, message);
  r.flags = std::strlen(message) >= sizeof r.message ? arena::kRecoverTruncated : 0;
  r.seq.store(2 * i + 2, std::memory_order_release);
  uint64_t throw_pc = r.nframes > 0 ? r.frames[0] : 0;
  auto index = static_cast<uint32_t>(i + 1);
  if (g == nullptr) {
    emit_external(arena::EventKind::kRecover, 0, throw_pc, index);
    return;
  }
  {
    RecordWrite w(g);
    ++g->rec.recovered_panics;
  }
  ring_emit(p->events, coarse_now_ns(), arena::EventKind::kRecover, id, throw_pc, index);
}

int capture_stack(uintptr_t* out, int max) {
  void* raw[kMaxFrames];
  int n = backtrace(raw, std::min(max, kMaxFrames));
  for (int i = 0; i < n; ++i) out[i] = reinterpret_cast<uintptr_t>(raw[i]);
  return n;
}

int capture_stack_from(const void* site, uintptr_t* out, int max) {
  int n = capture_stack(out, max);
  for (int i = 0; i < n; ++i) {
    if (out[i] != reinterpret_cast<uintptr_t>(site)) continue;
    std::memmove(out, out + i, sizeof(uintptr_t) * static_cast<std::size_t>(n - i));
    return n - i;
  }
  return n;
}

// become_the_reporter() lets the first dying thread through and parks every later one
// for good: the first ends the process. Returns the reporter's thread id.
static int become_the_reporter(const Death& death) {
  if (g_dying.load(std::memory_order_acquire) != 0 && g_dying_tid.load(std::memory_order_relaxed) == gettid()) {
    // A second death on the thread writing the first one's report (a failed check, an
    // exception out of the symbolizer): parking here would hang the report for good.
    static const char kMsg[] = "\nfatal error: the crash report failed: ";
    (void)!write(2, kMsg, sizeof kMsg - 1);
    (void)!write(2, death.header, strnlen(death.header, sizeof death.header));
    (void)!write(2, "\n", 1);
    _exit(2);
  }
  if (g_dying.exchange(1) != 0) {
    std::atomic<uint32_t> never{0};
    for (;;) futex_wait(&never, 0);
  }
  int tid = gettid();
  g_dying_tid.store(tid, std::memory_order_relaxed);
  return tid;
}

// ---- a fatal signal's report, symbolized by the reporter thread --------------------------

namespace {

struct HandoffRequest {
  const Death* death = nullptr;
  const uintptr_t* pcs = nullptr;
  int n = 0;
  G* g = nullptr;
  int tid = 0;
  std::string text;
};
HandoffRequest g_request;

// symbolized_by_reporter() runs in the signal handler: it asks the reporter thread for
// the symbolized report and writes it; false when there is no reporter, or it did not
// answer in time (a lock the dying thread holds, a corrupted heap): then the caller
// writes the report with module+offset addresses.
bool symbolized_by_reporter(const Death& death, const uintptr_t* pcs, int n, G* g, int tid) {
  if (g_reporter_pipe[1] < 0 || !g_symbolize_signals) return false;
  g_request.death = &death;
  g_request.pcs = pcs;
  g_request.n = n;
  g_request.g = g;
  g_request.tid = tid;
  g_handoff.store(1, std::memory_order_release);
  char c = 's';
  if (write(g_reporter_pipe[1], &c, 1) != 1) return false;
  int64_t deadline = monotonic_ns() + g_symbolize_limit_ns;
  while (g_handoff.load(std::memory_order_acquire) == 1) {
    int64_t left = deadline - monotonic_ns();
    if (left <= 0) break;
    futex_wait(&g_handoff, 1, left);
  }
  uint32_t asked = 1;
  if (g_handoff.compare_exchange_strong(asked, 3, std::memory_order_acq_rel)) return false;  // too late
  const std::string& t = g_request.text;
  for (std::size_t at = 0; at < t.size();) {
    ssize_t w = write(2, t.data() + at, t.size() - at);
    if (w <= 0) break;
    at += static_cast<std::size_t>(w);
  }
  return true;
}

// write_symbolized() is the reporter thread's half: the report into g_request.text.
void write_symbolized() {
  unsetenv("DEBUGINFOD_URLS");  // a dying process must not wait on the network
  std::string text;
  char buf[8192];
  {
    Writer w(buf, sizeof buf, &text);
    SymbolPrinter p;
    write_report(w, p, *g_request.death, g_request.pcs, g_request.n, g_request.g, g_request.tid);
  }
  g_request.text = std::move(text);
  uint32_t asked = 1;
  if (g_handoff.compare_exchange_strong(asked, 2, std::memory_order_acq_rel)) futex_wake(&g_handoff);
}

}  // namespace

void die(const Death& death, const uintptr_t* pcs, int n, G* g, bool in_signal_handler) {
  int tid = become_the_reporter(death);
  // The chain is taken once, for the record and the report alike: ancestors may exit
  // while the report is written.
  if (g != nullptr) collect_chain(g->rec, &g_chain);
  write_crash_record(death, pcs, n, g);
  if (g != nullptr) {
    if (P* p = current_p()) ring_emit(p->events, coarse_now_ns(), arena::EventKind::kPanic, g->rec.id, 0, 0);
  }
  auto raw_report = [&] {
    arena::ArenaHeader* h = arena_header();
    uint32_t size = h->maps_size.load(std::memory_order_acquire);
    ModulePrinter p(reinterpret_cast<const char*>(h) + h->maps_offset, size);
    Writer w(g_out, sizeof g_out, 2);
    write_report(w, p, death, pcs, n, g, tid);
  };
  if (g_traceback == Traceback::kNone) {
    // (With none there is no frame to name: no need for the symbolizer.)
    raw_report();
  } else if (in_signal_handler) {
    // Nothing here may allocate or lock: the reporter thread symbolizes, if it can.
    if (!symbolized_by_reporter(death, pcs, n, g, tid)) raw_report();
  } else {
    // libdw needs a big stack, and this may run on a goroutine's: symbolize on a
    // thread of its own.
    try {
      std::thread t([&] {
        // A fault from here on is a fault of the report itself (on_signal).
        g_dying_tid.store(gettid(), std::memory_order_relaxed);
        // libdw would ask debuginfod servers for the debug information of modules
        // without it: a dying process must not wait on the network. (`gleak dump` of
        // the arena still may.)
        unsetenv("DEBUGINFOD_URLS");
        SymbolPrinter p;
        Writer w(g_out, sizeof g_out, 2);
        write_report(w, p, death, pcs, n, g, tid);
      });
      t.join();
    } catch (const std::system_error&) {
      raw_report();  // no thread to be had: addresses it is
    }
  }
  finish();
}

void die_with_report(const Death& death, const std::string& report) {
  become_the_reporter(death);
  write_crash_record(death, nullptr, 0, nullptr);
  {
    Writer w(g_out, sizeof g_out, 2);
    w.str(death.header).ch('\n');
    // As Go's GOTRACEBACK=none: the message alone.
    if (g_traceback != Traceback::kNone) w.ch('\n').str(report);
  }
  finish();
}

// ---- the reporter thread: SIGQUIT, and fatal signals' symbolized reports -------------

namespace {

void on_quit(int) {
  // Only a write here; the dump needs a normal stack and the symbolizer.
  int saved = errno;
  char c = 'q';
  (void)!write(g_reporter_pipe[1], &c, 1);
  errno = saved;
}

// quit() is SIGQUIT as Go answers it: every goroutine's stack, then exit 2.
void quit() {
  Death d;
  copy_text(d.header, sizeof d.header, "SIGQUIT: quit");
  d.signal = SIGQUIT;
  // Go shows every goroutine on SIGQUIT unless GOTRACEBACK says less than the default.
  if (g_traceback == Traceback::kSingle) g_traceback = Traceback::kAll;
  die(d, nullptr, 0, nullptr, false);
}

void reporter() {
  pthread_setname_np(pthread_self(), "gleak-reporter");
  g_reporter_tid.store(gettid(), std::memory_order_relaxed);
  for (;;) {
    char c;
    ssize_t r = read(g_reporter_pipe[0], &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r != 1) return;
    if (c == 'q') quit();
    if (c == 's') write_symbolized();
  }
}

// install_reporter() starts the reporter thread, and takes SIGQUIT unless
// GLEAK_SIGQUIT=0 or the program already handles it. Inherited as ignored (a shell's
// background job) SIGQUIT is taken too, as Go does. GLEAK_CRASH_SYMBOLIZE is 0 (no
// symbolizing), 1 (the default), or the time limit in Go's syntax ("30s"); anything
// else keeps the default.
void install_reporter() {
  if (const char* env = std::getenv("GLEAK_CRASH_SYMBOLIZE"); env != nullptr) {
    int64_t limit = std::strcmp(env, "1") == 0 ? -1 : parse_duration(env);
    if (std::strcmp(env, "0") == 0) {
      g_symbolize_signals = false;
    } else if (limit > 0) {
      g_symbolize_limit_ns = limit;
    }
  }
  if (pipe2(g_reporter_pipe, O_CLOEXEC) != 0) return;
  try {
    std::thread(reporter).detach();
  } catch (const std::system_error&) {
    close(g_reporter_pipe[0]);
    close(g_reporter_pipe[1]);
    g_reporter_pipe[0] = g_reporter_pipe[1] = -1;
    return;
  }
  if (const char* env = std::getenv("GLEAK_SIGQUIT"); env != nullptr && std::strcmp(env, "0") == 0) return;
  struct sigaction old {};
  if (sigaction(SIGQUIT, nullptr, &old) != 0 || has_own_handler(old)) return;
  struct sigaction sa {};
  sa.sa_handler = on_quit;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGQUIT, &sa, nullptr);
}

}  // namespace

void install_worker_signal_stack() {
  void* mem = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss{};
  ss.ss_sp = mem;
  ss.ss_size = kAltStack;
  sigaltstack(&ss, nullptr);
}

void install_crash_handlers() {
  g_traceback = parse_traceback(std::getenv("GLEAK_TRACEBACK"));
  std::set_terminate(on_terminate);
  std::atexit(wait_if_dying);
  // Make sure backtrace() has loaded its unwinder before any crash needs it.
  void* warm[2];
  backtrace(warm, 2);
#if !defined(GLEAK_SANITIZE_BUILD)
  struct sigaction sa {};
  sa.sa_sigaction = on_signal;
  // SA_NODEFER: a fault while the report is written comes back to on_signal, which
  // says so and ends the process, instead of the kernel killing it silently.
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : kSignals) sigaction(sig, &sa, &g_old[sig]);
#endif
  install_reporter();
  install_worker_signal_stack();
}

void check_failed(const char* expr, const char* file, int line, const char* msg) {
  uintptr_t pcs[kMaxFrames];
  int n = capture_stack(pcs, kMaxFrames);
  Death d;
  std::snprintf(d.header, sizeof d.header, "fatal error: gleak internal check failed: %s (%s) at %s:%d", msg, expr,
                file, line);
  die(d, pcs, n, current_g(), false);
}

}  // namespace gleak::internal
