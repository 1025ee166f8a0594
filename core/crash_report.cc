// core/crash_report.cc — the crash report: the failing goroutine's stack, where it and its
// ancestors were created, the panics it recovered and every other goroutine, printed as
// module+offset (in a signal handler, where nothing here may allocate) or symbolized.
#include "core/internal/crash_parts.h"

#include <elf.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "arena/maps.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "symbolize/symbolize.h"
#include "gleak/stacks.h"

namespace gleak::internal {
namespace {

constexpr int kMaxRecoveredShown = 8;   // recovered panics listed under a dying goroutine

bool shows_others() { return g_traceback >= Traceback::kAll; }
bool shows_runtime() { return g_traceback >= Traceback::kSystem; }

}  // namespace

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

bool parked(GState s) { return s == GState::kWaiting || s == GState::kRunnable || s == GState::kSyscall; }

namespace {

// GView is a goroutine as a report sees it: a copy of its record and its stack. Other
// workers keep running while the process dies, so a parked goroutine may be resumed
// while it is read; `consistent` says its record did not change meanwhile.
struct GView {
  arena::GoroutineRecord rec;
  uint64_t frames[arena::kMaxStackFrames];
  uint32_t nframes = 0;
  bool consistent = false;
};

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
  w.str(arena::status_word(r.state, r.wait_reason));
  if (arena::shows_wait(r.state) && r.wait_since_ns > 0) {
    int64_t minutes = (now - r.wait_since_ns) / arena::kStatusMinuteNs;
    if (minutes >= 1) w.str(", ").dec(minutes).str(" minutes");
  }
}

}  // namespace

// ---- printing frames: symbolized, or as module+offset ----------------------------------

namespace {

void created_by_head(Writer& w, const char* prefix, uint64_t id) {
  if (id != 0) w.str("goroutine ").dec(static_cast<int64_t>(id)).ch(' ');
  w.str(prefix);
}

}  // namespace

void ModulePrinter::stack(Writer& w, const uint64_t* pcs, int n, bool, StackKind) {
  for (int i = 0; i < n; ++i) {
    w.ch('\t');
    location(w, pcs[i]);
    w.ch('\n');
    any_ = true;
  }
  if (n >= kMaxFrames) w.str("...additional frames elided...\n");
}

void ModulePrinter::created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) {
  created_by_head(w, prefix, id);
  location(w, pc);
  if (parent != 0) w.str(" in goroutine ").dec(static_cast<int64_t>(parent));
  w.ch('\n');
  any_ = true;
}

void ModulePrinter::site(Writer& w, uint64_t pc, const uint64_t*, int) {
  location(w, pc);
  any_ = true;
}

void ModulePrinter::epilogue(Writer& w) {
  if (!any_) return;
  const char* path = arena_file_path();
  w.str("\n[addresses are module+offset: a signal handler cannot symbolize safely; ");
  if (*path != '\0') {
    w.str("`gleak dump ").str(path).str("` names them]\n");
  } else {
    w.str("addr2line -f -C -e <module> <offset> names them]\n");
  }
}

void ModulePrinter::location(Writer& w, uint64_t pc) {
  bool found = false;
  arena::for_each_maps_line(text(), [&](const arena::MapsLine& m) {
    if (pc < m.start || pc >= m.end || m.path.empty() || m.path[0] != '/') return true;
    // The load address: this mapping's start less its file offset, unless the file
    // is an executable linked at fixed addresses.
    uint64_t base = m.start - m.offset;
    const auto* ehdr = reinterpret_cast<const Elf64_Ehdr*>(base);
    bool fixed = m.offset <= m.start && readable(base) && std::memcmp(ehdr->e_ident, ELFMAG, SELFMAG) == 0 &&
                 ehdr->e_type == ET_EXEC;
    w.str(m.path.data(), m.path.size()).ch('+').hex(fixed ? pc : pc - base);
    found = true;
    return false;
  });
  if (!found) w.hex(pc);
}

bool ModulePrinter::readable(uint64_t base) const {
  bool ok = false;
  arena::for_each_maps_line(text(), [&](const arena::MapsLine& m) {
    if (base < m.start || base + sizeof(Elf64_Ehdr) > m.end) return true;
    ok = m.read;
    return false;
  });
  return ok;
}

namespace {

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

bool is_entry_machinery(const std::string& fn) {
  return starts_with(fn, "void gleak::detail::run_and_destroy") ||
         starts_with(fn, "gleak::internal::(anonymous namespace)::g_entry") || fn == "make_fcontext";
}

}  // namespace

void SymbolPrinter::stack(Writer& w, const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) {
  for (const symbolize::Frame& f : frames(pcs, n, first_is_pc, kind)) frame(w, f);
  if (n >= kMaxFrames) w.str("...additional frames elided...\n");
}

std::vector<symbolize::Frame> SymbolPrinter::frames(const uint64_t* pcs, int n, bool first_is_pc, StackKind kind) {
  std::vector<symbolize::Frame> all;
  for (int i = 0; i < n; ++i) {
    const auto& fs = chain(pcs[i], !(first_is_pc && i == 0));
    all.insert(all.end(), fs.begin(), fs.end());
  }
  std::size_t begin = 0, end = all.size();
  if (!shows_runtime()) trim(all, kind, &begin, &end);
  return std::vector<symbolize::Frame>(all.begin() + begin, all.begin() + end);
}

std::optional<symbolize::Frame> SymbolPrinter::creation(uint64_t pc) {
  const auto& cs = chain(pc, true);
  if (cs.empty()) return std::nullopt;
  const symbolize::Frame& c = cs[symbolize::creation_site(cs)];
  if (symbolize::is_gleak_frame(c)) return std::nullopt;
  return c;
}

void SymbolPrinter::created_by(Writer& w, const char* prefix, uint64_t id, uint64_t pc, uint64_t parent) {
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

void SymbolPrinter::site(Writer& w, uint64_t pc, const uint64_t* pcs, int n) {
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

const std::vector<symbolize::Frame>& SymbolPrinter::chain(uint64_t pc, bool is_return) {
  uint64_t key = pc * 2 + (is_return ? 1 : 0);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  return cache_.emplace(key, sym_.lookup_inlined(pc, is_return)).first->second;
}

void SymbolPrinter::location(Writer& w, const symbolize::Frame& f) {
  if (!f.file.empty()) {
    w.str(f.file).ch(':').dec(f.line);
  } else if (!f.module.empty()) {
    w.str(f.module);
  } else {
    w.hex(f.pc);
  }
}

void SymbolPrinter::one_line(Writer& w, const symbolize::Frame& f) {
  w.str(f.function.empty() ? std::string("??") : f.function).ch(' ');
  location(w, f);
}

void SymbolPrinter::frame(Writer& w, const symbolize::Frame& f) {
  w.str(f.function.empty() ? std::string("??") : f.function).str("\n\t");
  location(w, f);
  // Inlined frames have no offset of their own, as in Go's tracebacks.
  if (f.offset != 0) w.str(" +").hex(f.offset);
  w.ch('\n');
}

void SymbolPrinter::trim(const std::vector<symbolize::Frame>& frames, StackKind kind, std::size_t* b, std::size_t* e) {
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

// ---- the report ------------------------------------------------------------------------

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

namespace {

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

}  // namespace

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

}  // namespace gleak::internal
