// core/crash.cc — see core/internal/crash.h and docs/crash.md.
#include "core/internal/crash.h"

#include <cxxabi.h>
#include <elf.h>
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
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/duration.h"
#include "core/internal/check.h"
#include "core/internal/futex.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/stack_pool.h"
#include "core/symbolize.h"
#include "gleak/runtime.h"
#include "gleak/stacks.h"

namespace gleak::internal {
namespace {

constexpr int kMaxFrames = 128;
constexpr std::size_t kAltStack = 64 * 1024;
constexpr int kMaxRecoveredShown = 8;   // recovered panics listed under a dying goroutine
constexpr int64_t kMinuteNs = 60'000'000'000;

// Traceback is GLEAK_TRACEBACK, Go's GOTRACEBACK levels.
enum class Traceback {
  kNone,    // the header lines only
  kSingle,  // the failing goroutine (the default)
  kAll,     // and every other goroutine
  kSystem,  // as all, with gleak's own frames shown
  kCrash,   // as system, then abort() for a core dump instead of exit status 2
};

Traceback g_traceback = Traceback::kSingle;

bool shows_others() { return g_traceback >= Traceback::kAll; }
bool shows_runtime() { return g_traceback >= Traceback::kSystem; }

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

// ---- text without allocation ----------------------------------------------------------

// Writer appends text to a fixed buffer. With an fd it writes the buffer out whenever
// it fills up; without, text past the capacity is dropped. Everything here is
// async-signal-safe: a signal handler formats its report with it.
class Writer {
 public:
  Writer(char* buf, std::size_t cap, int fd) : buf_(buf), cap_(cap), fd_(fd) {}
  // With a sink (not async-signal-safe), a full buffer is appended to *sink.
  Writer(char* buf, std::size_t cap, std::string* sink) : buf_(buf), cap_(cap), fd_(-1), sink_(sink) {}
  ~Writer() { flush(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Writer& str(const char* s, std::size_t n) {
    while (n > 0) {
      if (n_ + 1 >= cap_) {
        if (fd_ < 0 && sink_ == nullptr) break;
        flush();
      }
      std::size_t k = std::min(n, cap_ - 1 - n_);
      std::memcpy(buf_ + n_, s, k);
      n_ += k;
      s += k;
      n -= k;
    }
    buf_[n_] = '\0';
    return *this;
  }
  Writer& str(const char* s) { return str(s, std::strlen(s)); }
  Writer& str(const std::string& s) { return str(s.data(), s.size()); }
  Writer& ch(char c) { return str(&c, 1); }
  Writer& dec(int64_t v) {
    char tmp[24];
    int i = sizeof tmp;
    bool neg = v < 0;
    uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      tmp[--i] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) tmp[--i] = '-';
    return str(tmp + i, sizeof tmp - i);
  }
  Writer& hex(uint64_t v) {
    char tmp[20];
    int i = sizeof tmp;
    do {
      tmp[--i] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    return str(tmp + i, sizeof tmp - i);
  }
  void flush() {
    if (sink_ != nullptr) {
      sink_->append(buf_, n_);
      n_ = 0;
      buf_[0] = '\0';
      return;
    }
    if (fd_ < 0) return;
    const char* p = buf_;
    std::size_t left = n_;
    while (left > 0) {
      ssize_t w = write(fd_, p, left);
      if (w <= 0) break;
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    n_ = 0;
    buf_[0] = '\0';
  }

 private:
  char* buf_;
  std::size_t cap_;
  int fd_;
  std::string* sink_ = nullptr;
  std::size_t n_ = 0;
};

// The report's output buffer: static, since only the one dying thread writes a report.
char g_out[16384];

void copy_text(char* dst, std::size_t cap, const char* src) {
  std::size_t n = strnlen(src, cap - 1);
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

// ---- what the other goroutines were doing ---------------------------------------------

// walk_saved_stack() follows the frame pointers of a goroutine that is not running,
// from the saved context in its record, staying inside its stack.
uint32_t walk_saved_stack(const arena::GoroutineRecord& r, uint64_t* out, uint32_t max) {
  uint64_t ctx = r.context;
  uint64_t lo = r.stack_lo, hi = r.stack_hi;
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

// GView is a goroutine as a report sees it: a copy of its record and its stack. Other
// workers keep running while the process dies, so a parked goroutine may be resumed
// while it is read; `consistent` says its record did not change meanwhile.
struct GView {
  arena::GoroutineRecord rec;
  uint64_t frames[arena::kMaxStackFrames];
  uint32_t nframes = 0;
  bool consistent = false;
};

bool parked(GState s) { return s == GState::kWaiting || s == GState::kRunnable || s == GState::kSyscall; }

// state_now() is a goroutine's state as its owner last wrote it, read without the
// seqlock: a first look, before read_g() copies the record properly.
GState state_now(const G* g) {
  return static_cast<GState>(__atomic_load_n(reinterpret_cast<const uint32_t*>(&g->rec.state), __ATOMIC_RELAXED));
}

void read_g(const G* g, GView* v) {
  uint32_t before = g->rec.seq.load(std::memory_order_acquire);
  std::memcpy(static_cast<void*>(&v->rec), static_cast<const void*>(&g->rec), sizeof v->rec);
  v->nframes = parked(v->rec.state) ? walk_saved_stack(v->rec, v->frames, arena::kMaxStackFrames) : 0;
  std::atomic_thread_fence(std::memory_order_acquire);
  v->consistent = before % 2 == 0 && g->rec.seq.load(std::memory_order_relaxed) == before;
}

// Copies the report reads into: static, since only the one dying thread writes a
// report, and a goroutine's record and stack would crowd the 64 KiB signal stack.
GView g_view;
GView g_ancestor_view;
arena::RecoverRecord g_recover_copy;

struct FindG {
  uint64_t id;
  GView* out;
  bool found;
};

// find_g() reads the live goroutine with this id, if there is one.
bool find_g(uint64_t id, GView* out) {
  FindG f{id, out, false};
  for_each_g(
      [](G* g, void* a) {
        auto* f = static_cast<FindG*>(a);
        if (f->found || g->rec.id != f->id) return;
        GState s = g->rec.state;
        if (s == GState::kFree || s == GState::kDead) return;
        read_g(g, f->out);
        f->found = f->out->rec.id == f->id;
      },
      &f);
  return f.found;
}

// status() is Go's bracketed goroutine status: the wait reason and, past a minute,
// how long it has waited.
void status(Writer& w, const arena::GoroutineRecord& r, int64_t now) {
  switch (r.state) {
    case GState::kWaiting: {
      const char* reason = arena::wait_reason_name(r.wait_reason);
      w.str(*reason != '\0' ? reason : "waiting");
      break;
    }
    default: w.str(arena::goroutine_state_name(r.state));
  }
  if ((r.state == GState::kWaiting || r.state == GState::kSyscall) && r.wait_since_ns > 0) {
    int64_t minutes = (now - r.wait_since_ns) / kMinuteNs;
    if (minutes >= 1) w.str(", ").dec(minutes).str(" minutes");
  }
}

// ---- printing frames: symbolized, or as module+offset ----------------------------------

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

void created_by_head(Writer& w, const char* prefix, uint64_t id) {
  if (id != 0) w.str("goroutine ").dec(static_cast<int64_t>(id)).ch(' ');
  w.str(prefix);
}

// ModulePrinter prints frames as /path/to/module+0xoffset, from the copy of
// /proc/self/maps the crash record takes: nothing it does allocates or takes a lock,
// so it is what a signal handler uses. `gleak dump` of the arena turns the same
// addresses into functions and lines.
class ModulePrinter : public Printer {
 public:
  explicit ModulePrinter(const char* maps, std::size_t size) : maps_(maps), size_(size) {}

  void stack(Writer& w, const uint64_t* pcs, int n, bool, StackKind) override {
    for (int i = 0; i < n; ++i) {
      w.ch('\t');
      location(w, pcs[i]);
      w.ch('\n');
      any_ = true;
    }
    if (n >= kMaxFrames) w.str("...additional frames elided...\n");
  }
  void created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) override {
    created_by_head(w, prefix, id);
    location(w, pc);
    if (parent != 0) w.str(" in goroutine ").dec(static_cast<int64_t>(parent));
    w.ch('\n');
    any_ = true;
  }
  void site(Writer& w, uint64_t pc, const uint64_t*, int) override {
    location(w, pc);
    any_ = true;
  }
  void epilogue(Writer& w) override {
    if (!any_) return;
    const char* path = arena_file_path();
    w.str("\n[addresses are module+offset: a signal handler cannot symbolize safely; ");
    if (*path != '\0') {
      w.str("`gleak dump ").str(path).str("` names them]\n");
    } else {
      w.str("addr2line -f -C -e <module> <offset> names them]\n");
    }
  }

 private:
  // location() finds the mapping that holds pc in the maps text and prints its file
  // and pc's offset from where the file is loaded (an ELF address for addr2line).
  void location(Writer& w, uint64_t pc) {
    const char* p = maps_;
    const char* end = maps_ + size_;
    while (p < end) {
      const char* eol = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (eol == nullptr) eol = end;
      uint64_t lo = 0, hi = 0, off = 0;
      const char* q = p;
      q = parse_hex(q, eol, &lo);
      if (q < eol && *q == '-') q = parse_hex(q + 1, eol, &hi);
      q = skip_field(q, eol);  // perms
      while (q < eol && *q == ' ') ++q;
      q = parse_hex(q, eol, &off);
      q = skip_field(skip_field(q, eol), eol);  // dev, inode
      while (q < eol && *q == ' ') ++q;
      if (pc >= lo && pc < hi && q < eol && *q == '/') {
        // The load address: this mapping's start less its file offset, unless the
        // file is an executable linked at fixed addresses.
        uint64_t base = lo - off;
        const auto* ehdr = reinterpret_cast<const Elf64_Ehdr*>(base);
        bool fixed = off <= lo && readable(base) && std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0 &&
                     ehdr->e_type == ET_EXEC;
        w.str(q, eol - q).ch('+').hex(fixed ? pc : pc - base);
        return;
      }
      p = eol + 1;
    }
    w.hex(pc);
  }
  // readable() says whether the ELF header at base is in a readable mapping.
  bool readable(uint64_t base) const {
    const char* p = maps_;
    const char* end = maps_ + size_;
    while (p < end) {
      const char* eol = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (eol == nullptr) eol = end;
      uint64_t lo = 0, hi = 0;
      const char* q = parse_hex(p, eol, &lo);
      if (q < eol && *q == '-') q = parse_hex(q + 1, eol, &hi);
      if (q < eol && *q == ' ') ++q;
      if (base >= lo && base + sizeof(Elf64_Ehdr) <= hi) return q < eol && *q == 'r';
      p = eol + 1;
    }
    return false;
  }
  static const char* parse_hex(const char* p, const char* end, uint64_t* out) {
    uint64_t v = 0;
    for (; p < end; ++p) {
      char c = *p;
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) break;
      v = v * 16 + static_cast<uint64_t>(d);
    }
    *out = v;
    return p;
  }
  static const char* skip_field(const char* p, const char* end) {
    while (p < end && *p == ' ') ++p;
    while (p < end && *p != ' ') ++p;
    return p;
  }

  const char* maps_;
  std::size_t size_;
  bool any_ = false;
};

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

bool is_entry_machinery(const std::string& fn) {
  return starts_with(fn, "void gleak::detail::run_and_destroy") ||
         starts_with(fn, "gleak::internal::(anonymous namespace)::g_entry") || fn == "make_fcontext";
}

// SymbolPrinter prints function, file:line and inlined frames with libdw. libdw needs
// a large stack and is not async-signal-safe: it runs on a thread of its own, never in
// a signal handler.
class SymbolPrinter : public Printer {
 public:
  SymbolPrinter() : sym_(getpid()) {}

  void stack(Writer& w, const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) override {
    for (const symbolize::Frame& f : frames(pcs, n, first_is_pc, kind)) frame(w, f);
    if (n >= kMaxFrames) w.str("...additional frames elided...\n");
  }

  // frames() is the stack as stack() prints it: inlined frames expanded, trimmed to
  // the user's unless the traceback level shows the runtime.
  std::vector<symbolize::Frame> frames(const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) {
    std::vector<symbolize::Frame> all;
    for (int i = 0; i < n; ++i) {
      const auto& fs = chain(pcs[i], !(first_is_pc && i == 0));
      all.insert(all.end(), fs.begin(), fs.end());
    }
    std::size_t begin = 0, end = all.size();
    if (!shows_runtime()) trim(all, kind, &begin, &end);
    return std::vector<symbolize::Frame>(all.begin() + begin, all.begin() + end);
  }

  // creation() is the user's frame of the go() call at pc; none for a goroutine the
  // runtime made itself (run()'s main goroutine).
  std::optional<symbolize::Frame> creation(uint64_t pc) {
    const auto& cs = chain(pc, true);
    if (cs.empty()) return std::nullopt;
    const symbolize::Frame& c = cs[symbolize::creation_site(cs)];
    if (symbolize::is_gleak_frame(c)) return std::nullopt;
    return c;
  }

  void created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) override {
    const auto& cs = chain(pc, true);
    if (cs.empty()) {
      created_by_head(w, prefix, id);
      w.str("??");
      if (parent != 0) w.str(" in goroutine ").dec(static_cast<int64_t>(parent));
      w.str("\n\t").hex(pc).ch('\n');
      return;
    }
    const symbolize::Frame& c = cs[symbolize::creation_site(cs)];
    // A goroutine the runtime made itself (run()'s main goroutine) has no creation
    // site of the user's, like Go's goroutine 1.
    if (symbolize::is_gleak_frame(c)) return;
    created_by_head(w, prefix, id);
    w.str(c.function.empty() ? std::string("??") : c.function);
    if (parent != 0) w.str(" in goroutine ").dec(static_cast<int64_t>(parent));
    w.str("\n\t");
    if (!c.file.empty()) w.str(c.file).ch(':').dec(c.line);
    w.str(" +").hex(cs.back().offset).ch('\n');
  }

  void site(Writer& w, uint64_t pc, const uint64_t* pcs, int n) override {
    // The first frame that is the user's: the throw site of a panic is below
    // gleak::panic, the recover site is the caller of gleak::recover.
    if (pcs != nullptr) {
      for (int i = 0; i < n; ++i) {
        for (const auto& f : chain(pcs[i], true)) {
          if (symbolize::is_panic_machinery(f) || symbolize::is_gleak_frame(f)) continue;
          one_line(w, f);
          return;
        }
      }
      w.str("??");
      return;
    }
    const auto& fs = chain(pc, true);
    if (fs.empty()) {
      w.hex(pc);
      return;
    }
    one_line(w, fs[symbolize::creation_site(fs)]);
  }

 private:
  const std::vector<symbolize::Frame>& chain(uint64_t pc, bool is_return) {
    uint64_t key = pc * 2 + (is_return ? 1 : 0);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    return cache_.emplace(key, sym_.lookup_inlined(pc, is_return)).first->second;
  }

  // location() is where f is: file:line, else its module, else its address.
  static void location(Writer& w, const symbolize::Frame& f) {
    if (!f.file.empty()) {
      w.str(f.file).ch(':').dec(f.line);
    } else if (!f.module.empty()) {
      w.str(f.module);
    } else {
      w.hex(f.pc);
    }
  }

  static void one_line(Writer& w, const symbolize::Frame& f) {
    w.str(f.function.empty() ? std::string("??") : f.function).ch(' ');
    location(w, f);
  }

  static void frame(Writer& w, const symbolize::Frame& f) {
    w.str(f.function.empty() ? std::string("??") : f.function).str("\n\t");
    location(w, f);
    // Inlined frames have no offset of their own, as in Go's tracebacks.
    if (f.offset != 0) w.str(" +").hex(f.offset);
    w.ch('\n');
  }

  // trim() narrows [begin, end) to the user's frames, as Go's tracebacks hide the
  // runtime's.
  static void trim(const std::vector<symbolize::Frame>& frames, StackKind kind, std::size_t* b, std::size_t* e) {
    std::size_t begin = 0;
    if (kind == StackKind::kFailing) {
      // Down to a __cxa_throw, and then the panic machinery below it, is how this
      // report came to be written, not what failed.
      for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].function == "__cxa_throw") {
          begin = i + 1;
          break;
        }
      }
      while (begin < frames.size() && symbolize::is_panic_machinery(frames[begin])) ++begin;
    }
    std::size_t end = frames.size();
    for (std::size_t i = begin; i < frames.size(); ++i) {
      if (is_entry_machinery(frames[i].function)) {
        end = i;
        // Below the user's function sit the go() closure and std::apply: drop them.
        while (end > begin &&
               (symbolize::is_gleak_frame(frames[end - 1]) || symbolize::is_std_plumbing(frames[end - 1]))) {
          --end;
        }
        break;
      }
    }
    if (kind == StackKind::kFailing) {
      // Above the user's frame that failed sit gleak's own (a channel operation that
      // panicked): hide them, as Go hides runtime.chansend.
      while (begin + 1 < end && symbolize::is_gleak_frame(frames[begin])) ++begin;
    } else {
      // A parked goroutine is inside gleak's park and the primitive it blocks on.
      while (begin < end && (symbolize::is_gleak_frame(frames[begin]) || symbolize::is_std_plumbing(frames[begin]))) {
        ++begin;
      }
    }
    *b = begin;
    *e = end;
  }

  symbolize::Symbolizer sym_;
  std::unordered_map<uint64_t, std::vector<symbolize::Frame>> cache_;
};

// ---- the report ------------------------------------------------------------------------

// Chain is a goroutine's creation chain, as far as its ancestors are alive.
struct Chain {
  arena::CrashAncestor ancestors[arena::kMaxAncestors];
  uint32_t n = 0;
  uint64_t gone = 0;  // the first ancestor that has exited (0: none)
};
Chain g_chain;  // the dying goroutine's: only one thread gets to fill it

// collect_chain() follows r's parents while they are alive, up to one started by a
// plain thread (run()'s main goroutine among them): its creator is no goroutine.
void collect_chain(const arena::GoroutineRecord& r, Chain* c) {
  c->n = 0;
  c->gone = 0;
  uint64_t child = r.id;
  uint64_t ancestor = r.parent_id;
  GView& v = g_ancestor_view;
  while (c->n < arena::kMaxAncestors && ancestor != 0 && ancestor < child) {
    if (!find_g(ancestor, &v)) {
      c->gone = ancestor;
      return;
    }
    if (v.rec.parent_id == 0 || v.rec.create_pc == 0) return;
    c->ancestors[c->n++] = {ancestor, v.rec.parent_id, v.rec.create_pc};
    child = ancestor;
    ancestor = v.rec.parent_id;
  }
}

// creation_chain() prints where goroutine `r` was created, then where each of its
// live ancestors was: Go prints only the first line.
void creation_chain(Writer& w, Printer& p, const arena::GoroutineRecord& r, const Chain& c) {
  if (r.create_pc == 0) return;
  p.created_by(w, "created by ", 0, r.create_pc, r.parent_id);
  for (uint32_t i = 0; i < c.n; ++i) {
    p.created_by(w, "was created by ", c.ancestors[i].goroutine, c.ancestors[i].create_pc, c.ancestors[i].parent);
  }
  if (c.gone != 0) {
    w.str("goroutine ").dec(static_cast<int64_t>(c.gone)).str(" has exited: where it was created is not known\n");
  }
}

// recovered_panics() lists the panics that goroutine `id` recovered before, from the
// arena's ring of recovered panics (the most recent kMaxRecoveredShown).
void recovered_panics(Writer& w, Printer& p, uint64_t id) {
  arena::RecoverRecord* ring = arena_recover_ring_if_any();
  if (ring == nullptr) return;
  uint64_t written = arena_header()->recover_written.load(std::memory_order_acquire);
  uint64_t oldest = written > arena::kRecoverRecords ? written - arena::kRecoverRecords : 0;
  uint64_t shown[kMaxRecoveredShown];
  int nshown = 0;
  uint64_t more = 0;
  for (uint64_t i = written; i-- > oldest;) {
    const arena::RecoverRecord& r = ring[i % arena::kRecoverRecords];
    if (r.seq.load(std::memory_order_acquire) != 2 * i + 2 || r.goroutine != id) continue;
    if (nshown < kMaxRecoveredShown) {
      shown[nshown++] = i;
    } else {
      ++more;
    }
  }
  for (int k = nshown; k-- > 0;) {
    arena::RecoverRecord& r = g_recover_copy;
    r = ring[shown[k] % arena::kRecoverRecords];
    if (r.seq.load(std::memory_order_relaxed) != 2 * shown[k] + 2) continue;
    r.message[sizeof r.message - 1] = '\0';
    r.type[sizeof r.type - 1] = '\0';
    w.str("recovered panic: ").str(r.message);
    if ((r.flags & arena::kRecoverTruncated) != 0) w.str("...");
    if (r.type[0] != '\0') w.str(" [").str(r.type).ch(']');
    w.str("\n\tthrown at ");
    uint32_t nf = std::min(r.nframes, arena::kRecoverFrames);
    if (nf > 0) {
      p.site(w, 0, r.frames, static_cast<int>(nf));
    } else {
      w.str("(not known: not a gleak::panic)");
    }
    w.str("\n\trecovered in ");
    p.site(w, r.recover_pc, nullptr, 0);
    w.ch('\n');
  }
  if (more > 0) w.str("(").dec(static_cast<int64_t>(more)).str(" earlier recovered panic(s) not shown)\n");
}

struct Others {
  Writer* w;
  Printer* p;
  const G* dying;
  int64_t now;
};

// other_goroutine() prints one goroutine that was not the one dying, Go's way.
void other_goroutine(G* g, void* arg) {
  auto* o = static_cast<Others*>(arg);
  if (g == o->dying) return;
  GState s = state_now(g);
  if (s == GState::kFree || s == GState::kDead) return;
  GView& v = g_view;
  read_g(g, &v);
  if (v.rec.state == GState::kFree || v.rec.state == GState::kDead) return;
  Writer& w = *o->w;
  w.str("\ngoroutine ").dec(static_cast<int64_t>(v.rec.id)).str(" [");
  status(w, v.rec, o->now);
  w.str("]:\n");
  if (v.rec.state == GState::kRunning) {
    w.str("\tgoroutine running on other thread; stack unavailable\n");
  } else if (v.nframes == 0) {
    w.str(v.rec.context == 0 ? "\t(not started yet)\n" : "\t(stack unavailable)\n");
  } else {
    o->p->stack(w, v.frames, static_cast<int>(v.nframes), false, StackKind::kParked);
    if (!v.consistent) w.str("\t(the goroutine ran while it was read: this stack may be mixed)\n");
  }
  if (v.rec.create_pc != 0) o->p->created_by(w, "created by ", 0, v.rec.create_pc, v.rec.parent_id);
}

void write_report(Writer& w, Printer& p, const Death& d, const uintptr_t* pcs, int n, G* g, int tid) {
  w.str(d.header).ch('\n');
  if (g_traceback == Traceback::kNone) return;
  // SIGQUIT has no failing goroutine or thread: every goroutine follows the header.
  if (g != nullptr || n > 0) {
    w.ch('\n');
    if (g != nullptr) {
      w.str("goroutine ").dec(static_cast<int64_t>(g->rec.id)).str(" [running]:\n");
    } else {
      w.str("thread ").dec(tid).str(" [running]:\n");
    }
    static_assert(sizeof(uintptr_t) == sizeof(uint64_t));
    // Every address is a return address: a signal's faulting pc is recorded plus one.
    p.stack(w, reinterpret_cast<const uint64_t*>(pcs), n, false, StackKind::kFailing);
    if (g != nullptr) {
      creation_chain(w, p, g->rec, g_chain);
      recovered_panics(w, p, g->rec.id);
    }
  }
  if (shows_others()) {
    Others o{&w, &p, g, coarse_now_ns()};
    for_each_g(other_goroutine, &o);
  }
  p.epilogue(w);
}

// ---- the crash record ------------------------------------------------------------------

struct StackSnapshot {
  char* out;
  uint64_t used;
  uint64_t cap;
};

void snapshot_one(G* g, void* arg) {
  auto* s = static_cast<StackSnapshot*>(arg);
  if (!parked(g->rec.state)) return;
  std::size_t need = sizeof(arena::CrashStack) + arena::kMaxStackFrames * sizeof(uint64_t);
  if (s->used + need > s->cap) return;
  auto* cs = reinterpret_cast<arena::CrashStack*>(s->out + s->used);
  auto* frames = reinterpret_cast<uint64_t*>(cs + 1);
  arena::GoroutineRecord r;
  std::memcpy(static_cast<void*>(&r), static_cast<const void*>(&g->rec), sizeof r);
  cs->goroutine = r.id;
  cs->nframes = walk_saved_stack(r, frames, arena::kMaxStackFrames);
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
  auto* out = static_cast<char*>(arena_try_alloc(cap, &off));
  if (out == nullptr) return;
  StackSnapshot s{out, 0, cap};
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
  cr->nancestors = g_chain.n;
  for (uint32_t i = 0; i < g_chain.n; ++i) cr->ancestors[i] = g_chain.ancestors[i];
  cr->ancestor_gone = g_chain.gone;
  copy_text(cr->message, sizeof cr->message, death.header);
  copy_text(cr->exception_type, sizeof cr->exception_type, death.exception_type);
  cr->present = 1;
  cr->seq.store(s + 2, std::memory_order_release);
  snapshot_stacks();
  arena_snapshot_maps();
  h->state.store(static_cast<uint32_t>(arena::ProcessState::kCrashed), std::memory_order_release);
}

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

// ---- every goroutine, from inside (gleak/stacks.h) --------------------------------------

namespace {

// One reader of the goroutine table at a time: other_goroutine() fills g_view.
std::mutex g_view_mutex;

StackFrame public_frame(const symbolize::Frame& f) {
  return StackFrame{f.function.empty() ? std::string("??") : f.function, f.file, f.line, static_cast<uintptr_t>(f.pc)};
}

std::string state_words(const arena::GoroutineRecord& r) {
  if (r.state == GState::kWaiting) {
    const char* reason = arena::wait_reason_name(r.wait_reason);
    return *reason != '\0' ? reason : "waiting";
  }
  return arena::goroutine_state_name(r.state);
}

}  // namespace

std::string goroutines_text(G* self, const uintptr_t* pcs, int n) {
  std::lock_guard<std::mutex> lock(g_view_mutex);
  std::string text;
  char buf[8192];
  {
    Writer w(buf, sizeof buf, &text);
    SymbolPrinter p;
    if (self != nullptr) {
      w.str("goroutine ").dec(static_cast<int64_t>(self->rec.id)).str(" [running]:\n");
      p.stack(w, reinterpret_cast<const uint64_t*>(pcs), n, false, StackKind::kParked);
      if (self->rec.create_pc != 0) p.created_by(w, "created by ", 0, self->rec.create_pc, self->rec.parent_id);
    }
    Others o{&w, &p, self, coarse_now_ns()};
    for_each_g(other_goroutine, &o);
  }
  if (self == nullptr && !text.empty() && text[0] == '\n') text.erase(0, 1);
  return text;
}

std::vector<GoroutineInfo> goroutine_infos(G* self, const uintptr_t* pcs, int n) {
  std::lock_guard<std::mutex> lock(g_view_mutex);
  struct Walk {
    G* self;
    SymbolPrinter p;
    int64_t now;
    std::vector<GoroutineInfo> out;

    void add(const arena::GoroutineRecord& r, const uint64_t* frames, int nframes) {
      GoroutineInfo info;
      info.id = r.id;
      info.parent = r.parent_id;
      info.state = state_words(r);
      if ((r.state == GState::kWaiting || r.state == GState::kSyscall) && r.wait_since_ns > 0) {
        info.waited = std::chrono::nanoseconds(std::max<int64_t>(0, now - r.wait_since_ns));
      }
      if (r.create_pc != 0) {
        if (auto c = p.creation(r.create_pc)) info.created_by = public_frame(*c);
      }
      for (const auto& f : p.frames(frames, nframes, false, StackKind::kParked)) info.stack.push_back(public_frame(f));
      out.push_back(std::move(info));
    }
  } walk{self, {}, coarse_now_ns(), {}};
  if (self != nullptr) {
    arena::GoroutineRecord r;
    std::memcpy(static_cast<void*>(&r), static_cast<const void*>(&self->rec), sizeof r);
    walk.add(r, reinterpret_cast<const uint64_t*>(pcs), n);
    walk.out.back().state = "running";
    walk.out.back().waited = std::chrono::nanoseconds(0);
    walk.out.back().current = true;
  }
  for_each_g(
      [](G* g, void* arg) {
        Walk& wk = *static_cast<Walk*>(arg);
        if (g == wk.self) return;
        GState st = state_now(g);
        if (st == GState::kFree || st == GState::kDead) return;
        read_g(g, &g_view);
        if (g_view.rec.state == GState::kFree || g_view.rec.state == GState::kDead) return;
        wk.add(g_view.rec, g_view.frames, static_cast<int>(g_view.nframes));
      },
      &walk);
  return std::move(walk.out);
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
