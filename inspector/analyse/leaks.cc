// inspector/analyse/leaks.cc — the leak checks (see leaks.h), registered in kChecks below.
#include "arena/clock.h"
#include "inspector/analyse/leaks.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <map>
#include <memory>

#include "inspector/read/frame_roots.h"
#include "inspector/analyse/heap_walk.h"
#include "inspector/read/memory_image.h"
#include "inspector/report/report_text.h"  // the words of a status and of a duration, in proofs

namespace gleak::inspector {

using arena::GoroutineState;
using arena::WaitReason;

namespace {

// The waits the analysis understands; any other wait keeps a goroutine a root.
bool analysable_wait(WaitReason r) {
  switch (r) {
    case WaitReason::kChanSend:
    case WaitReason::kChanReceive:
    case WaitReason::kChanSendNil:
    case WaitReason::kChanReceiveNil:
    case WaitReason::kSelect:
    case WaitReason::kSelectNoCases:
    case WaitReason::kMutexLock:
    case WaitReason::kRWMutexRLock:
    case WaitReason::kRWMutexLock:
    case WaitReason::kWaitGroupWait:
    case WaitReason::kCondWait:
      return true;
    default:
      return false;
  }
}

bool blocked(const Goroutine& g) {
  return g.state == GoroutineState::kWaiting && !g.torn && !g.crashed && analysable_wait(g.wait_reason);
}

// A word found in the buffer of the target's pipe number p (MemoryImage::pipes) is
// recorded as coming from pipe_source(p), which no address can be (the last value stands
// for every pipe from there on).
constexpr uint64_t kPipeSource = 0x100;
constexpr uint64_t kLastPipeSource = 0xfff;
uint64_t pipe_source(std::size_t p) { return kPipeSource + std::min<uint64_t>(p, kLastPipeSource - kPipeSource); }
bool is_pipe_source(uint64_t v) { return v >= kPipeSource && v <= kLastPipeSource; }

// for_each_pipe_word() calls f with every 8-byte value in what a pipe holds, at every
// byte offset: what is pending may start in the middle of a message.
template <typename F>
void for_each_pipe_word(const PipeBuffer& p, F&& f) {
  for (std::size_t off = 0; off + 8 <= p.bytes.size(); ++off) {
    uint64_t v;
    std::memcpy(&v, p.bytes.data() + off, 8);
    f(v);
  }
}

// pointed_unread() are the unread objects of parked stacks (StackRoots::unread: objects
// whose address their frame took, that its code is done with) that some word of the
// image points into — a pointer taken earlier and kept in a register, a stack, a
// closure, a global or a heap block — by their start: those stay roots. A word inside
// the object itself (a string pointing at its own buffer) does not count, nor a dead
// word of a parked stack.
// Returns, for each, where the first such word lies (0: a register; pipe_source(): a
// pipe).
std::map<uint64_t, uint64_t> pointed_unread(const MemoryImage& img, const std::vector<const MemoryRegion*>& roots,
                                            const std::vector<CopiedBlock>& blocks) {
  struct Obj {
    uint64_t lo, hi;
  };
  std::vector<Obj> objs;
  for (const MemoryRegion& r : img.regions) {
    if ((r.kind != RegionKind::kStack && r.thread == 0) || !r.roots) continue;  // a parked goroutine's or a thread's
    for (const StackSlot& s : r.roots->unread) objs.push_back({r.start + s.lo, r.start + s.hi});
  }
  std::map<uint64_t, uint64_t> kept;
  if (objs.empty()) return kept;
  std::sort(objs.begin(), objs.end(), [](const Obj& a, const Obj& b) { return a.lo < b.lo; });
  uint64_t lo = objs.front().lo, hi = 0;
  for (const Obj& o : objs) hi = std::max(hi, o.hi);
  std::vector<uint8_t> hit(objs.size(), 0);
  std::vector<uint64_t> by(objs.size(), 0);
  auto word = [&](uint64_t v, uint64_t where) {
    if (v < lo || v >= hi) return;
    auto it = std::upper_bound(objs.begin(), objs.end(), v, [](uint64_t x, const Obj& o) { return x < o.lo; });
    if (it == objs.begin()) return;
    --it;
    std::size_t k = static_cast<std::size_t>(it - objs.begin());
    if (v < it->hi && !(where >= it->lo && where < it->hi) && !hit[k]) {
      hit[k] = 1;
      by[k] = where;
    }
  };
  auto scan = [&](const char* data, uint64_t start, uint64_t len) {
    for (uint64_t off = 0; off + 8 <= len; off += 8) {
      uint64_t v;
      std::memcpy(&v, data + off, 8);
      word(v, start + off);
    }
  };
  for (uint64_t v : img.register_words) word(v, 0);
  for (std::size_t p = 0; p < img.pipes.size(); ++p) {
    for_each_pipe_word(img.pipes[p], [&](uint64_t v) { word(v, pipe_source(p)); });
  }
  for (const MemoryRegion* r : roots) {
    if (r->data) scan(r->data, r->start, r->end - r->start);
  }
  for (const CopiedBlock& b : blocks) scan(b.data, b.start, b.end - b.start);
  for (const MemoryRegion& r : img.regions) {
    if ((r.kind != RegionKind::kStack && r.kind != RegionKind::kClosure) || !r.data) continue;
    // A parked stack's dead words (a callee-saved register the frame overwrites before
    // reading, an ended scope's slot) are never read again: a copy of the address there
    // cannot reach the object.
    uint64_t at = r.start;
    if (r.roots) {
      for (const StackSlot& d : r.roots->dead) {  // sorted, disjoint offsets
        uint64_t lo = r.start + d.lo, hi = std::min(r.start + d.hi, r.end);
        if (hi <= at) continue;
        if (lo > at) scan(r.data + (at - r.start), at, lo - at);
        at = hi;
      }
    }
    if (at < r.end) scan(r.data + (at - r.start), at, r.end - at);
  }
  for (std::size_t k = 0; k < objs.size(); ++k) {
    if (hit[k]) kept.emplace(objs[k].lo, by[k]);
  }
  return kept;
}

// ---- Marker: conservative marking through the heap --------------------------------------


using Block = CopiedBlock;  // an allocated heap block, with its copied bytes

// Span is a goroutine's closure or whole stack slot, with its copied bytes.
struct Span {
  uint64_t lo = 0, hi = 0;
  std::size_t g = 0;                   // index in Analysis::gs
  const MemoryRegion* used = nullptr;  // stack: its copied used part; closure: its copy
  bool parked = false;                 // stack: `used` starts with its saved context
};

// Marker marks memory conservatively: heap blocks, goroutine stacks and closures, and
// windows of stacks reached by a pointer. Each trace has its own mode; a mark counts only
// in the mode that made it, so traces need no clearing.
class Marker {
 public:
  // mode: 0 is the analysis, 1.. are separate traces (holders).
  void begin(uint32_t mode) {
    mode_ = mode;
    touched_.clear();
  }

  // keep_unread() names the unread objects of parked stacks (StackRoots::unread, by
  // their start) that some word points into: they stay roots.
  void keep_unread(std::vector<uint64_t> starts) {
    kept_unread_ = std::move(starts);
    std::sort(kept_unread_.begin(), kept_unread_.end());
  }

  void init(std::vector<Block> blocks, std::vector<Span> stacks, std::vector<Span> closures, std::size_t ngoroutines) {
    blocks_ = std::move(blocks);
    std::sort(blocks_.begin(), blocks_.end(), [](const Block& a, const Block& b) { return a.start < b.start; });
    block_mark_.assign(blocks_.size(), 0);
    if (!blocks_.empty()) {
      heap_lo_ = blocks_.front().start;
      heap_hi_ = 0;
      for (const Block& b : blocks_) heap_hi_ = std::max(heap_hi_, b.end);
    }
    stacks_.init(std::move(stacks), ngoroutines);
    closures_.init(std::move(closures), ngoroutines);
  }

  // scan() marks what the words at data point to; addr is where they lie in the
  // target (remembered only when tracking).
  void scan(const char* data, uint64_t len, uint64_t addr = 0) {
    bytes_ += len;
    if (track_) {
      for (uint64_t off = 0; off + 8 <= len; off += 8) {
        uint64_t v;
        std::memcpy(&v, data + off, 8);
        cur_addr_ = addr + off;
        word(v);
      }
      return;
    }
    for (uint64_t off = 0; off + 8 <= len; off += 8) {
      uint64_t v;
      std::memcpy(&v, data + off, 8);
      word(v);
    }
  }

  void word(uint64_t v) {
    // Heaps and stack slabs interleave in the address space: a word between the lowest
    // and the highest heap block may still point into a stack.
    if (v >= heap_lo_ && v < heap_hi_) {
      std::size_t i = block_index(v);
      if (i != kNone) {
        if (block_mark_[i] != mode_ + 1) {
          block_mark_[i] = mode_ + 1;
          if (mode_ != 0) touched_.push_back(unit(kBlockUnit, i));
          if (track_) block_parent_[i] = cur_addr_;
          work_.push_back({blocks_[i].data, blocks_[i].end - blocks_[i].start, 0, 0, blocks_[i].start});
        }
        return;
      }
    }
    // A stack's words mostly point into itself (saved frame pointers): no lookup.
    if (v >= scan_lo_ && v < scan_hi_) return;
    std::size_t i = stacks_.index(v);
    if (i != kNone && stacks_.mark[i] != mode_ + 1) {
      pending_windows_.push_back({i, v & ~uint64_t{7}});
      if (track_) pending_parent_.push_back(cur_addr_);
    }
  }

  // mark_goroutine() makes goroutine g's used stack and its closure reachable.
  void mark_goroutine(std::size_t g) {
    mark_span(stacks_, stacks_.of_g[g]);
    mark_span(closures_, closures_.of_g[g]);
  }

  void drain() {
    while (!work_.empty()) {
      Work w = work_.back();
      work_.pop_back();
      scan_lo_ = w.self_lo;
      scan_hi_ = w.self_hi;
      scan(w.data, w.len, w.addr);
    }
    scan_lo_ = scan_hi_ = 0;
  }

  // flush_windows() opens the windows that pointers into not-yet-reachable stacks asked
  // for, scans them and drains; true if any was new. It is called only once nothing
  // else is left to do: most of those stacks become reachable whole by then (a channel's
  // waiters point at each other's stacks), and their windows are dropped unscanned.
  bool flush_windows() {
    bool any = false;
    while (!pending_windows_.empty()) {
      std::vector<std::pair<std::size_t, uint64_t>> pending;
      pending.swap(pending_windows_);
      std::vector<uint64_t> parents;
      parents.swap(pending_parent_);
      for (std::size_t k = 0; k < pending.size(); ++k) {
        auto [i, lo] = pending[k];
        bool opened = open_window(i, lo);
        if (opened && track_ && mode_ == 0 && k < parents.size()) window_parent_[last_window_] = parents[k];
        any = opened || any;
      }
      drain();
    }
    return any;
  }

  // reached() says whether addr lies in memory marked in this mode: a marked heap
  // block, closure or stack, or a window of a stack reached by a pointer. (Roots are
  // the caller's to check.)
  bool reached(uint64_t addr) const {
    if (addr >= heap_lo_ && addr < heap_hi_) {
      std::size_t i = block_index(addr);
      if (i != kNone) return block_mark_[i] == mode_ + 1;
    }
    std::size_t c = closures_.index(addr);
    if (c != kNone && closures_.mark[c] == mode_ + 1) return true;
    std::size_t i = stacks_.index(addr);
    if (i == kNone) return false;
    if (stacks_.mark[i] == mode_ + 1) return true;
    // Windows end where their frame ends: the window starting closest below addr covers
    // it if any does.
    auto it = windows_.upper_bound({mode_, addr});
    if (it == windows_.begin()) return false;
    --it;
    return it->first.first == mode_ && addr < it->second;
  }

  // unit_of() names the unit of memory addr lies in (a heap block, a closure or a
  // stack), or kNoUnit; touched() are the units a trace (mode > 0) marked or opened a
  // window into since begin(). Together they find what a trace reached without asking
  // about every address of interest after each trace.
  static constexpr uint64_t kNoUnit = ~uint64_t{0};
  uint64_t unit_of(uint64_t addr) const {
    if (addr >= heap_lo_ && addr < heap_hi_) {
      std::size_t i = block_index(addr);
      if (i != kNone) return unit(kBlockUnit, i);
    }
    if (std::size_t c = closures_.index(addr); c != kNone) return unit(kClosureUnit, c);
    if (std::size_t i = stacks_.index(addr); i != kNone) return unit(kStackUnit, i);
    return kNoUnit;
  }
  const std::vector<uint64_t>& touched() const { return touched_; }

  static constexpr uint64_t kRegisterWord = 1;
  // track() makes the analysis (mode 0) remember what marked what, for why_alive().
  void track() {
    track_ = true;
    block_parent_.assign(blocks_.size(), 0);
  }
  void set_source(uint64_t addr) { cur_addr_ = addr; }

  // Where addr lies, for explanations.
  struct Place {
    enum Kind { kNowhere, kBlock, kClosure, kStack, kWindow } kind = kNowhere;
    uint64_t lo = 0, hi = 0;   // the block, closure, stack or window
    std::size_t g = 0;         // kClosure, kStack, kWindow: the goroutine's index
    uint64_t parent = 0;       // kBlock, kWindow: the word that marked it
  };
  Place place(uint64_t addr) const {
    Place p;
    if (addr >= heap_lo_ && addr < heap_hi_) {
      std::size_t i = block_index(addr);
      if (i != kNone && block_mark_[i] == 1) {
        p.kind = Place::kBlock;
        p.lo = blocks_[i].start;
        p.hi = blocks_[i].end;
        p.parent = track_ ? block_parent_[i] : 0;
        return p;
      }
    }
    if (std::size_t c = closures_.index(addr); c != kNone && closures_.mark[c] == 1) {
      p.kind = Place::kClosure;
      p.lo = closures_.spans[c].lo;
      p.hi = closures_.spans[c].hi;
      p.g = closures_.spans[c].g;
      return p;
    }
    std::size_t i = stacks_.index(addr);
    if (i == kNone) return p;
    p.g = stacks_.spans[i].g;
    // A window was opened before its stack became reachable whole, if both happened:
    // it is what marked the words in it first.
    auto it = windows_.upper_bound({0, addr});
    if (it != windows_.begin()) {
      --it;
      if (it->first.first == 0 && addr < it->second) {
        p.kind = Place::kWindow;
        p.lo = it->first.second;
        p.hi = it->second;
        auto wp = window_parent_.find(p.lo);
        p.parent = wp == window_parent_.end() ? 0 : wp->second;
        return p;
      }
    }
    if (stacks_.mark[i] == 1) {
      p.kind = Place::kStack;
      p.lo = stacks_.spans[i].lo;
      p.hi = stacks_.spans[i].hi;
    }
    return p;
  }

  // block_range() gives the heap block addr lies in, marked or not.
  bool block_range(uint64_t addr, uint64_t* lo, uint64_t* hi) const {
    if (addr < heap_lo_ || addr >= heap_hi_) return false;
    std::size_t i = block_index(addr);
    if (i == kNone) return false;
    *lo = blocks_[i].start;
    *hi = blocks_[i].end;
    return true;
  }

  uint64_t bytes() const { return bytes_; }
  std::size_t blocks() const { return blocks_.size(); }
  std::size_t blocks_marked(uint32_t mode) const {
    return static_cast<std::size_t>(std::count(block_mark_.begin(), block_mark_.end(), mode + 1));
  }
  // end_trace() drops the windows a finished trace made.
  void end_trace(uint32_t mode) {
    pending_windows_.clear();
    windows_.erase(windows_.lower_bound({mode, 0}), windows_.lower_bound({mode + 1, 0}));
  }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr uint64_t kBlockUnit = 0, kClosureUnit = 1, kStackUnit = 2;
  static uint64_t unit(uint64_t kind, std::size_t i) { return kind << 62 | i; }

  // Spans sorted by address, with their marks and which span is whose.
  struct Spans {
    std::vector<Span> spans;
    std::vector<uint32_t> mark;
    std::vector<std::size_t> of_g;  // goroutine index -> span index, kNone if none
    uint64_t lo = 1, hi = 0;

    void init(std::vector<Span> in, std::size_t ngoroutines) {
      spans = std::move(in);
      std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
      mark.assign(spans.size(), 0);
      of_g.assign(ngoroutines, kNone);
      for (std::size_t i = 0; i < spans.size(); ++i) of_g[spans[i].g] = i;
      if (!spans.empty()) {
        lo = spans.front().lo;
        hi = 0;
        for (const Span& s : spans) hi = std::max(hi, s.hi);
      }
    }
    std::size_t index(uint64_t v) const {
      if (v < lo || v >= hi) return kNone;
      auto it = std::upper_bound(spans.begin(), spans.end(), v, [](uint64_t x, const Span& s) { return x < s.lo; });
      if (it == spans.begin()) return kNone;
      --it;
      return v < it->hi ? static_cast<std::size_t>(it - spans.begin()) : kNone;
    }
  };

  std::size_t block_index(uint64_t v) const {
    auto it = std::upper_bound(blocks_.begin(), blocks_.end(), v, [](uint64_t x, const Block& b) { return x < b.start; });
    if (it == blocks_.begin()) return kNone;
    --it;
    return v < it->end ? static_cast<std::size_t>(it - blocks_.begin()) : kNone;
  }

  void mark_span(Spans& set, std::size_t i) {
    if (i == kNone || set.mark[i] == mode_ + 1) return;
    set.mark[i] = mode_ + 1;
    if (mode_ != 0) touched_.push_back(unit(&set == &stacks_ ? kStackUnit : kClosureUnit, i));
    const Span& sp = set.spans[i];
    const MemoryRegion* u = sp.used;
    if (!u) return;
    // A parked goroutine's stack: its dead slots (frame_roots.h), and the unread objects
    // no pointer reaches, are not roots.
    uint64_t at = u->start;
    if (u->roots) {
      const std::vector<StackSlot>& dead = u->roots->dead;      // offsets from u->start
      const std::vector<StackSlot>& unread = u->roots->unread;  // likewise
      std::size_t i = 0, j = 0;
      for (;;) {
        while (j < unread.size() && std::binary_search(kept_unread_.begin(), kept_unread_.end(), u->start + unread[j].lo)) ++j;
        bool from_dead = i < dead.size() && (j == unread.size() || dead[i].lo <= unread[j].lo);
        if (!from_dead && j == unread.size()) break;
        const StackSlot& rel = from_dead ? dead[i++] : unread[j++];
        uint64_t lo = u->start + rel.lo, hi = std::min(u->start + rel.hi, u->end);
        if (hi <= at) continue;
        if (lo > at) work_.push_back({u->data + (at - u->start), lo - at, sp.lo, sp.hi, at});
        at = hi;
      }
    }
    if (at < u->end) work_.push_back({u->data + (at - u->start), u->end - at, sp.lo, sp.hi, at});
  }

  // open_window() handles a pointer into the stack of a goroutine that is still not
  // known to run: what lies at that address — an object, a handle, a struct passed by
  // pointer — is reachable, up to the end of the frame it lies in, so that much is
  // marked and scanned; the rest of that stack is not (stale words in heap blocks point
  // into stacks, and would make every stack look reachable). Without the frame chain
  // (a running goroutine, a broken chain) the window runs to the top of the stack.
  bool open_window(std::size_t i, uint64_t lo) {
    if (stacks_.mark[i] == mode_ + 1) return false;
    const Span& sp = stacks_.spans[i];
    const MemoryRegion* u = sp.used;
    uint64_t hi = sp.hi;
    if (u && sp.parked) {
      const std::vector<uint64_t>& tops = frame_tops(i);
      auto top = std::upper_bound(tops.begin(), tops.end(), lo);
      if (top != tops.end()) hi = *top;
      // A pointer into a variable the debug information describes (live at the frame's
      // pc) reaches that variable, whole, and nothing else of the frame.
      if (u->roots && lo >= u->start) {
        uint64_t rel = lo - u->start, vlo = 0, vhi = 0;
        for (const StackSlot& l : u->roots->live) {
          if (rel < l.lo || rel >= l.hi) continue;
          vlo = vhi == 0 ? l.lo : std::min(vlo, l.lo);
          vhi = std::max(vhi, l.hi);
        }
        if (vhi != 0 && u->start + vhi <= hi) {
          lo = u->start + vlo;
          hi = u->start + vhi;
        }
      }
    }
    if (!windows_.emplace(std::make_pair(mode_, lo), hi).second) return false;
    last_window_ = lo;
    if (mode_ != 0) touched_.push_back(unit(kStackUnit, i));
    if (u) {
      // Only pointers into the window itself are skipped while it is scanned: one to
      // elsewhere in the same stack (a record in this frame pointing at a handle in its
      // caller's, or below it in one inlined frame) opens a window there in turn.
      uint64_t from = std::max(lo, u->start), to = std::min(hi, u->end);
      if (from < to) work_.push_back({u->data + (from - u->start), to - from, from, to, from});
    }
    return true;
  }

  // frame_tops() are the ends of the frames of a parked goroutine's stack, ascending,
  // from the frame-pointer chain that starts at its saved context.
  const std::vector<uint64_t>& frame_tops(std::size_t i) {
    auto [it, fresh] = frame_tops_.try_emplace(i);
    if (!fresh) return it->second;
    const MemoryRegion* u = stacks_.spans[i].used;
    auto word_at = [&](uint64_t a) {
      uint64_t v;
      std::memcpy(&v, u->data + (a - u->start), 8);
      return v;
    };
    if (u->end - u->start < arena::kContextSize) return it->second;
    uint64_t rbp = word_at(u->start + arena::kContextRbp);
    while (rbp >= u->start && rbp + 16 <= u->end && it->second.size() < 4096) {
      it->second.push_back(rbp + 16);  // saved rbp and return address end the frame
      uint64_t next = word_at(rbp);
      if (next <= rbp) break;
      rbp = next;
    }
    return it->second;
  }

  struct Work {
    const char* data;
    uint64_t len;
    uint64_t self_lo, self_hi;  // the stack slot the bytes belong to, if any
    uint64_t addr;              // where data lies in the target
  };

  uint32_t mode_ = 0;
  std::vector<Block> blocks_;
  std::vector<uint32_t> block_mark_;
  uint64_t heap_lo_ = 1, heap_hi_ = 0;
  Spans stacks_;
  Spans closures_;
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> windows_;  // (mode, start) -> end of windows into stacks
  std::unordered_map<std::size_t, std::vector<uint64_t>> frame_tops_;
  std::vector<uint64_t> kept_unread_;
  uint64_t last_window_ = 0;  // where the window open_window() last opened starts
  std::vector<Work> work_;
  std::vector<std::pair<std::size_t, uint64_t>> pending_windows_;  // (stack, address) to open
  std::vector<uint64_t> touched_;
  uint64_t scan_lo_ = 0, scan_hi_ = 0;
  uint64_t bytes_ = 0;
  // Tracking (explanations): the address of the word that first marked each heap block
  // or opened each window (kRegisterWord: a register).
  bool track_ = false;
  uint64_t cur_addr_ = 0;
  std::vector<uint64_t> block_parent_;
  std::vector<uint64_t> pending_parent_;
  std::map<uint64_t, uint64_t> window_parent_;
};

// ---- the analysis ------------------------------------------------------------------------

std::string hex(uint64_t v);

struct Analysis {
  const Snapshot& s;
  const LeakOptions& opt;
  LeakAnalysis& out;

  std::vector<const Goroutine*> gs;
  std::unordered_map<uint64_t, int> object_at;
  std::vector<char> decided;   // a finding was made for it
  std::vector<char> live;      // can run, now or once something that runs completes its wait
  std::vector<uint64_t> woken_by;  // live and blocked: the reachable object that made it live
  std::vector<std::vector<WaitTarget>> targets;  // per blocked goroutine
  std::vector<char> targets_known;               // false: a select's cases could not be read
  std::vector<const MemoryRegion*> roots;
  std::map<uint64_t, uint64_t> unread_kept;  // unread objects a pointer reaches: start -> where the pointer lies
  Marker marker;
  bool have_memory = false;
  CheckId check = CheckId::kNilChannel;  // the check that runs

  Analysis(const Snapshot& snap, const LeakOptions& o, LeakAnalysis& r) : s(snap), opt(o), out(r) {
    gs.reserve(s.goroutines.size());
    for (const Goroutine& g : s.goroutines) gs.push_back(&g);
    // Snapshots list goroutines by id; keep that order for index_of().
    std::sort(gs.begin(), gs.end(), [](const Goroutine* x, const Goroutine* y) { return x->id < y->id; });
    for (std::size_t i = 0; i < s.objects.size(); ++i) object_at[s.objects[i].address] = static_cast<int>(i);
    decided.assign(gs.size(), 0);
    live.assign(gs.size(), 0);
    woken_by.assign(gs.size(), 0);
    targets.assign(gs.size(), {});
    targets_known.assign(gs.size(), 1);
  }

  // index_of() is the index in gs of goroutine `id`, or gs.size().
  std::size_t index_of(uint64_t id) const {
    auto it = std::lower_bound(gs.begin(), gs.end(), id, [](const Goroutine* g, uint64_t x) { return g->id < x; });
    return it != gs.end() && (*it)->id == id ? static_cast<std::size_t>(it - gs.begin()) : gs.size();
  }

  WaitTarget target(uint64_t address) const {
    WaitTarget t;
    t.address = address;
    auto it = object_at.find(address);
    if (it != object_at.end()) {
      t.object = it->second;
      const Object& o = s.objects[static_cast<std::size_t>(it->second)];
      if (o.kind == arena::ObjectKind::kMutex) t.owner = o.word0;
    }
    return t;
  }

  // The objects goroutine i waits on; for a select, its cases' channels, read from the
  // array of cases on its stack (arena::kSelectCaseSize each, the channel at
  // arena::kSelectCaseChan).
  void collect_targets(std::size_t i, const std::vector<const MemoryRegion*>& stacks) {
    const Goroutine& g = *gs[i];
    switch (g.wait_reason) {
      case WaitReason::kChanSendNil:
      case WaitReason::kChanReceiveNil:
      case WaitReason::kSelectNoCases:
        return;
      case WaitReason::kSelect: {
        const MemoryRegion* r = stacks[i];
        static_assert(arena::kSelectCaseChan + sizeof(uint64_t) <= arena::kSelectCaseSize);
        uint64_t bytes = uint64_t{g.wait_count} * arena::kSelectCaseSize;
        if (!r || g.wait_object < r->start || g.wait_object > r->end || bytes > r->end - g.wait_object || g.wait_count == 0) {
          targets_known[i] = 0;
          return;
        }
        for (uint32_t k = 0; k < g.wait_count; ++k) {
          uint64_t chan;
          std::memcpy(&chan, r->data + (g.wait_object - r->start) + arena::kSelectCaseSize * k + arena::kSelectCaseChan, 8);
          if (chan != 0) targets[i].push_back(target(chan));
        }
        return;
      }
      default:
        targets[i].push_back(target(g.wait_object));
    }
  }

  bool root_contains(uint64_t addr) const {
    auto it = std::upper_bound(roots.begin(), roots.end(), addr,
                               [](uint64_t x, const MemoryRegion* r) { return x < r->start; });
    if (it == roots.begin()) return false;
    --it;
    return addr < (*it)->end;
  }

  bool reachable(uint64_t addr) const { return root_contains(addr) || marker.reached(addr); }

  // add_finding() records a finding of the check that runs (kChecks names it).
  void add_finding(std::size_t i, Certainty c, std::string reason) {
    decided[i] = 1;
    LeakVerdict f;
    f.goroutine = gs[i]->id;
    f.certainty = c;
    f.check = check;
    f.reason = std::move(reason);
    f.waits = targets[i];
    out.findings.push_back(std::move(f));
  }

  // drop_empty_parts(): the parts of heap blocks that hold nothing (MemoryImage::
  // empty_heap: a vector's capacity past its size, a reset optional's payload, stdio's
  // buffers) are zeroed in a copy of the block.
  std::vector<std::unique_ptr<char[]>> block_copies;
  void drop_empty_parts(std::vector<Block>& blocks) {
    std::unordered_map<std::size_t, char*> copied;
    for (const auto& [lo, hi] : s.memory->empty_heap) {
      auto it = std::upper_bound(blocks.begin(), blocks.end(), lo, [](uint64_t x, const Block& b) { return x < b.start; });
      if (it == blocks.begin()) continue;
      --it;
      if (lo < it->start || hi > it->end) continue;  // not (wholly) in one block
      std::size_t k = static_cast<std::size_t>(it - blocks.begin());
      char*& copy = copied[k];
      if (!copy) {
        block_copies.push_back(std::make_unique<char[]>(it->end - it->start));
        copy = block_copies.back().get();
        std::memcpy(copy, it->data, it->end - it->start);
        it->data = copy;
      }
      std::memset(copy + (lo - it->start), 0, hi - lo);
    }
  }

  // cut_thread_stacks() makes `roots` the root regions (whole_roots) less the dead words
  // of the threads' stacks whose frames were classified (MemoryRegion::roots) and, once
  // unread_kept is known (with_unread), less their unread objects no pointer reaches.
  std::vector<const MemoryRegion*> whole_roots;
  std::deque<MemoryRegion> stack_pieces;
  void cut_thread_stacks(bool with_unread) {
    roots.clear();
    stack_pieces.clear();
    for (const MemoryRegion* r : whole_roots) {
      if (!r->roots || r->thread == 0) {
        roots.push_back(r);
        continue;
      }
      std::vector<std::pair<uint64_t, uint64_t>> cuts;
      for (const StackSlot& d : r->roots->dead) cuts.emplace_back(r->start + d.lo, r->start + d.hi);
      if (with_unread) {
        for (const StackSlot& u : r->roots->unread) {
          if (!unread_kept.count(r->start + u.lo)) cuts.emplace_back(r->start + u.lo, r->start + u.hi);
        }
      }
      std::sort(cuts.begin(), cuts.end());
      add_root_pieces(*r, cuts, stack_pieces);
    }
  }

  // add_root_pieces() adds to `roots` the parts of r outside `cuts` (sorted [lo, hi)
  // ranges), as regions kept in `store`.
  void add_root_pieces(const MemoryRegion& r, const std::vector<std::pair<uint64_t, uint64_t>>& cuts,
                       std::deque<MemoryRegion>& store) {
    uint64_t at = r.start;
    auto piece = [&](uint64_t lo, uint64_t hi) {
      if (lo == r.start && hi == r.end) {
        roots.push_back(&r);
        return;
      }
      MemoryRegion p = r;
      p.start = lo;
      p.end = hi;
      p.data = r.data + (lo - r.start);
      store.push_back(std::move(p));
      roots.push_back(&store.back());
    };
    for (const auto& [lo, hi] : cuts) {
      uint64_t l = std::max(lo, r.start), h = std::min(hi, r.end);
      if (h <= at) continue;
      if (l > at) piece(at, l);
      at = std::max(at, h);
    }
    if (at < r.end) piece(at, r.end);
  }

  // mmapped_chunks() finds the blocks malloc serves from mappings of their own at the
  // start of anonymous mappings (walk_mmapped()): they become heap blocks, scanned only
  // when reached. The rest of each mapping is a root, and so is any mapping that holds
  // a stopped thread's stack pointer. A chunk the image holds in several pieces (pages
  // never touched are not copied) is joined into one zero-filled copy.
  std::vector<std::unique_ptr<char, decltype(&std::free)>> joined;
  std::deque<MemoryRegion> root_tails;  // the parts of pieces after the chunks
  void mmapped_chunks(const std::vector<const MemoryRegion*>& anonymous, std::vector<Block>& blocks) {
    std::vector<HeapBlock> hb;
    for (std::size_t i = 0; i < anonymous.size();) {
      std::size_t j = i;
      bool stack = false;
      while (j < anonymous.size() && anonymous[j]->map_lo == anonymous[i]->map_lo &&
             anonymous[j]->map_hi == anonymous[i]->map_hi) {
        stack = stack || anonymous[j]->thread != 0;
        ++j;
      }
      std::vector<const MemoryRegion*> pieces(anonymous.begin() + static_cast<std::ptrdiff_t>(i),
                                              anonymous.begin() + static_cast<std::ptrdiff_t>(j));
      i = j;
      hb.clear();
      uint64_t end = pieces.front()->map_lo;
      if (!stack && pieces.front()->map_hi != 0) {
        end = walk_mmapped(pieces, pieces.front()->map_lo, pieces.front()->map_hi, hb);
      }
      for (const HeapBlock& b : hb) {
        if (!add_mmapped_block(pieces, b, blocks)) {
          end = b.start - 16;  // this one and the rest stay roots
          break;
        }
      }
      for (const MemoryRegion* r : pieces) add_root_pieces(*r, {{pieces.front()->map_lo, end}}, root_tails);
    }
  }

  // add_mmapped_block() adds chunk b, whose bytes lie in `pieces`, to blocks.
  bool add_mmapped_block(const std::vector<const MemoryRegion*>& pieces, const HeapBlock& b, std::vector<Block>& blocks) {
    for (const MemoryRegion* r : pieces) {
      if (r->start <= b.start && b.end <= r->end) {
        blocks.push_back({b.start, b.end, r->data + (b.start - r->start)});
        return true;
      }
    }
    // calloc: the pages nothing is copied into are never touched.
    char* copy = static_cast<char*>(std::calloc(b.end - b.start, 1));
    if (!copy) {
      out.notes.push_back("no memory to join the large block at " + hex(b.start) + "; it is scanned as a root");
      return false;
    }
    joined.emplace_back(copy, &std::free);
    for (const MemoryRegion* r : pieces) {
      uint64_t lo = std::max(r->start, b.start), hi = std::min(r->end, b.end);
      if (lo < hi) std::memcpy(copy + (lo - b.start), r->data + (lo - r->start), hi - lo);
    }
    blocks.push_back({b.start, b.end, copy});
    return true;
  }

  // prepare_memory() sorts the image into roots, heap blocks and goroutine stacks.
  void prepare_memory() {
    const MemoryImage& img = *s.memory;
    std::vector<Block> blocks;
    std::vector<HeapBlock> hb;
    std::vector<const MemoryRegion*> anonymous;  // not a heap of an arena
    for (const MemoryRegion& r : img.regions) {
      if (r.kind != RegionKind::kRoot && r.kind != RegionKind::kHeap) continue;
      hb.clear();
      std::string why;
      bool heap = false;
      if (r.kind == RegionKind::kHeap) {
        heap = walk_main_heap(r, hb, &why);
        if (!heap) out.notes.push_back("the main heap did not walk (" + why + "); it was scanned whole");
      } else if (r.name.empty()) {
        heap = walk_thread_heap(r, hb, nullptr);
        if (!heap) {
          anonymous.push_back(&r);
          continue;
        }
      }
      if (heap) {
        for (const HeapBlock& b : hb) blocks.push_back({b.start, b.end, r.data + (b.start - r.start)});
      } else {
        roots.push_back(&r);
      }
    }
    mmapped_chunks(anonymous, blocks);
    std::sort(roots.begin(), roots.end(), [](const MemoryRegion* a, const MemoryRegion* b) { return a->start < b->start; });
    whole_roots = roots;
    cut_thread_stacks(false);
    std::sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) { return a.start < b.start; });
    drop_tcached(blocks);
    drop_empty_parts(blocks);
    std::vector<const MemoryRegion*> stack_used(gs.size(), nullptr);
    std::vector<Span> closures;
    for (const MemoryRegion& r : img.regions) {
      if (r.kind != RegionKind::kStack && r.kind != RegionKind::kClosure) continue;
      std::size_t i = index_of(r.goroutine);
      if (i == gs.size()) continue;
      if (r.kind == RegionKind::kStack) {
        stack_used[i] = &r;
      } else {
        closures.push_back({r.start, r.end, i, &r});
      }
    }
    std::vector<Span> stacks;
    for (std::size_t i = 0; i < gs.size(); ++i) {
      const Goroutine& g = *gs[i];
      if (g.stack_hi != 0) stacks.push_back({g.stack_lo, g.stack_hi, i, stack_used[i], g.state != GoroutineState::kRunning});
    }
    unread_kept = pointed_unread(img, roots, blocks);
    cut_thread_stacks(true);
    std::vector<uint64_t> starts;
    for (const auto& [lo, by] : unread_kept) starts.push_back(lo);
    marker.keep_unread(std::move(starts));
    marker.init(std::move(blocks), std::move(stacks), std::move(closures), gs.size());
    for (std::size_t i = 0; i < gs.size(); ++i) {
      if (blocked(*gs[i])) collect_targets(i, stack_used);
    }
    if (!img.stopped) {
      // Copied while it ran: a reference may have moved from a part not yet copied to
      // one already copied.
      out.complete = false;
      out.notes.push_back("the target ran while its memory was copied; no-exit-path findings are only suspected");
    }
    if (s.arena_incomplete) {
      // Goroutines missing from the arena may hold references no one scans.
      out.complete = false;
      out.notes.push_back("the arena is incomplete (its file system filled up); no-exit-path findings are only suspected");
    }
    if (!img.unreadable.empty()) {
      out.complete = false;
      out.notes.push_back(std::to_string(img.unreadable.size()) +
                          " mapping(s) could not be read (first: " + img.unreadable.front() +
                          "); no-exit-path findings are only suspected");
    }
  }
};

// ---- the checks ---------------------------------------------------------------------------

void check_nil_channel(Analysis& a) {
  for (std::size_t i = 0; i < a.gs.size(); ++i) {
    const Goroutine& g = *a.gs[i];
    if (!blocked(g)) continue;
    if (g.wait_reason == WaitReason::kChanSendNil || g.wait_reason == WaitReason::kChanReceiveNil) {
      const char* op = g.wait_reason == WaitReason::kChanSendNil ? "sends on" : "receives from";
      a.add_finding(i, Certainty::kProven, std::string("it ") + op + " a nil channel, which blocks forever");
    }
  }
}

void check_select_no_cases(Analysis& a) {
  for (std::size_t i = 0; i < a.gs.size(); ++i) {
    const Goroutine& g = *a.gs[i];
    if (!blocked(g) || a.decided[i]) continue;
    if (g.wait_reason == WaitReason::kSelectNoCases) {
      a.add_finding(i, Certainty::kProven, "a select with no cases (or only nil channels) blocks forever");
    } else if (g.wait_reason == WaitReason::kSelect && a.have_memory && a.targets_known[i] && a.targets[i].empty()) {
      a.add_finding(i, Certainty::kProven, "every case of its select is a nil channel: it blocks forever");
    }
  }
}

std::string goroutine_list(const Analysis& a, const std::vector<uint64_t>& ids, std::size_t max = 8) {
  std::string out;
  for (std::size_t k = 0; k < ids.size() && k < max; ++k) {
    if (k) out += ", ";
    out += std::to_string(ids[k]);
    std::size_t i = a.index_of(ids[k]);
    if (i < a.gs.size()) out += " [" + goroutine_status(*a.gs[i]) + "]";
  }
  if (ids.size() > max) out += ", ... (" + std::to_string(ids.size() - max) + " more)";
  return out;
}

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// source_text() names where a pointer was found when that is not an address: a
// register, or a pipe's buffer.
std::string source_text(const Analysis& a, uint64_t v) {
  if (v == 0 || v == Marker::kRegisterWord) return "a register of a stopped thread";
  if (is_pipe_source(v)) {
    std::size_t p = static_cast<std::size_t>(v - kPipeSource);
    const auto& pipes = a.s.memory->pipes;
    bool exact = v != kLastPipeSource ? p < pipes.size() : p + 1 == pipes.size();
    if (exact) {
      return "bytes written into pipe:[" + std::to_string(pipes[p].inode) + "] (fd " + std::to_string(pipes[p].fd) +
             ") and not yet read";
    }
    return "bytes written into one of the target's pipes and not yet read";
  }
  return hex(v);
}

// stack_word() names a word of goroutine g's stack: its frame's function and, where the
// debug information says, the variable that lives there.
std::string stack_word(const Analysis& a, const Goroutine& g, uint64_t addr, bool follow = true) {
  const MemoryRegion* region = nullptr;
  for (const MemoryRegion& r : a.s.memory->regions) {
    if (r.kind == RegionKind::kStack && r.goroutine == g.id && addr >= r.start && addr < r.end) region = &r;
  }
  std::string where = "at " + hex(addr);
  if (!region || !region->roots) return where + " (no frame information)";
  uint64_t rel = addr - region->start;  // StackRoots holds offsets from the region's start
  for (const StackFrame& f : region->roots->frames) {
    if (rel < f.lo || rel >= f.hi) continue;
    std::string fn;
    for (const Frame& fr : g.stack) {
      if (fr.pc == f.pc) fn = fr.function;  // the last one with this pc: the function itself
    }
    if (fn.empty()) fn = "pc " + hex(f.pc);
    const auto& notes = a.s.memory->slot_notes;
    for (const StackSlot& l : region->roots->live) {
      if (rel >= l.lo && rel < l.hi && notes && l.note < notes->size()) {
        const SlotNote& n = (*notes)[l.note];
        return "frame " + fn + ", " + (n.variable.rfind("register ", 0) == 0 ? n.variable : "variable `" + n.variable + "`") +
               (n.function != fn && !n.function.empty() ? " of " + n.function : "") +
               (n.scope.empty() ? "" : " (" + n.scope + ")") + ", " + where;
      }
    }
    char off[32];
    std::snprintf(off, sizeof off, "CFA-0x%llx", static_cast<unsigned long long>(f.hi - rel));
    for (const StackSlot& u : region->roots->unread) {
      auto kept = a.unread_kept.find(region->start + u.lo);
      if (rel < u.lo || rel >= u.hi || kept == a.unread_kept.end()) continue;
      std::string by = source_text(a, kept->second);
      if (follow && kept->second >= region->start && kept->second < region->end) {
        by = stack_word(a, g, kept->second, false);  // a reference in the same stack: name it
      }
      return "frame " + fn + ", an object whose address the frame took (its code is done with it, but a pointer into it is held: " +
             by + ") at " + off + ", " + where;
    }
    return "frame " + fn + ", an undescribed word (a spill, temporary or saved register) at " + off + ", " + where;
  }
  return where + " (above the frames that could be described)";
}

std::string root_word(const Analysis& a, const MemoryRegion& r, uint64_t addr) {
  std::string where = hex(addr);
  if (r.thread != 0) {
    std::string t = "thread " + std::to_string(r.thread) + "'s stack";
    if (!r.roots) return t + " (its frames could not be described), at " + where;
    // StackRoots holds offsets from the start of the region the stack was classified
    // in, which a piece of it shares: its map_lo and data moved with its start.
    uint64_t base = r.start;
    for (const MemoryRegion& whole : a.s.memory->regions) {
      if (whole.roots == r.roots) base = whole.start;
    }
    uint64_t rel = addr - base;
    const auto& notes = a.s.memory->slot_notes;
    for (const StackSlot& l : r.roots->live) {
      if (rel >= l.lo && rel < l.hi && notes && l.note < notes->size()) {
        const SlotNote& n = (*notes)[l.note];
        return t + ": " + (n.variable.rfind("register ", 0) == 0 ? n.variable : "variable `" + n.variable + "`") +
               (n.function.empty() ? "" : " of " + n.function) + (n.scope.empty() ? "" : " (" + n.scope + ")") + ", at " +
               where;
      }
    }
    for (const StackFrame& f : r.roots->frames) {
      if (rel >= f.lo && rel < f.hi) {
        return t + ", an undescribed word of the frame at pc " + hex(f.pc) +
               (f.described ? "" : " (code without frame information)") + ", at " + where;
      }
    }
    return t + ", above the frames that could be described, at " + where;
  }
  if (r.name == "[stack]") return "the main thread's stack, at " + where;
  if (r.name.empty()) return "anonymous memory (a thread's stack, TLS or another allocator's heap), at " + where;
  if (r.name[0] == '/') return "a global of " + r.name.substr(r.name.rfind('/') + 1) + ", at " + where;
  return r.name + ", at " + where;
}

// explain() builds LeakAnalysis::why for LeakOptions::why, after the fixpoint: the chain
// of what marked what, from the object the goroutine waits on back to a root.
// WhyChain walks back from what a goroutine waits on to the root that keeps it
// reachable, through the words that first marked each heap block and frame window.
class WhyChain {
 public:
  WhyChain(const Analysis& a, std::size_t i) : a_(a), seen_(a.gs.size(), 0), cur_(a.woken_by[i]) {
    back_.push_back({"it waits on " + hex(cur_), cur_});
    seen_[i] = 1;
  }

  // walk() follows the chain to its root; the steps from the root to the object.
  std::vector<WhyStep> walk() {
    for (int n = 0; n < 256 && step(); ++n) {
    }
    return {back_.rbegin(), back_.rend()};
  }

 private:
  // step() explains the word cur_; false once it is a root or cannot be followed.
  bool step() {
    if (cur_ == Marker::kRegisterWord) {
      back_.push_back({"a register of a stopped thread that runs user code", 0});
      return false;
    }
    if (is_pipe_source(cur_)) {
      back_.push_back({source_text(a_, cur_), 0});
      return false;
    }
    auto it = std::upper_bound(a_.roots.begin(), a_.roots.end(), cur_,
                               [](uint64_t x, const MemoryRegion* r) { return x < r->start; });
    if (it != a_.roots.begin() && cur_ < (*std::prev(it))->end) {
      back_.push_back({root_word(a_, **std::prev(it), cur_), cur_});
      return false;
    }
    Marker::Place p = a_.marker.place(cur_);
    switch (p.kind) {
      case Marker::Place::kBlock:
        back_.push_back({"heap block " + hex(p.lo) + " (" + std::to_string(p.hi - p.lo) + " bytes), at +" +
                             std::to_string(cur_ - p.lo),
                         cur_});
        if (p.parent == 0) {
          back_.push_back({"(what marked it was not recorded)", 0});
          return false;
        }
        cur_ = p.parent;
        return true;
      case Marker::Place::kClosure:
        back_.push_back({"the closure (captured values) of goroutine " + std::to_string(a_.gs[p.g]->id) + ", at +" +
                             std::to_string(cur_ - p.lo),
                         cur_});
        return goroutine_root(p.g);
      case Marker::Place::kStack:
        back_.push_back(
            {"goroutine " + std::to_string(a_.gs[p.g]->id) + "'s stack: " + stack_word(a_, *a_.gs[p.g], cur_), cur_});
        return goroutine_root(p.g);
      case Marker::Place::kWindow:
        back_.push_back({"goroutine " + std::to_string(a_.gs[p.g]->id) + "'s stack, in a frame a pointer reaches: " +
                             stack_word(a_, *a_.gs[p.g], cur_),
                         cur_});
        if (p.parent == 0) return false;
        cur_ = p.parent;
        return true;
      default:
        back_.push_back({"(the chain could not be followed further)", cur_});
        return false;
    }
  }

  // goroutine_root(): the word lies in goroutine h's memory. A goroutine that can run is
  // the root; one that is blocked but can be woken continues the chain from what it
  // waits on.
  bool goroutine_root(std::size_t h) {
    const Goroutine& gh = *a_.gs[h];
    if (a_.woken_by[h] == 0 || seen_[h]) {
      back_.push_back({"goroutine " + std::to_string(gh.id) + " [" + goroutine_status(gh) + "] can run", 0});
      return false;
    }
    seen_[h] = 1;
    back_.push_back({"goroutine " + std::to_string(gh.id) + " [" + goroutine_status(gh) +
                         "] is blocked, but can be woken: what it waits on is reachable",
                     0});
    cur_ = a_.woken_by[h];
    back_.push_back({"it waits on " + hex(cur_), cur_});
    return true;
  }

  const Analysis& a_;
  std::vector<char> seen_;
  uint64_t cur_;
  std::vector<WhyStep> back_;
};

void explain(Analysis& a) {
  WhyAlive w;
  w.goroutine = a.opt.why;
  std::size_t i = a.index_of(a.opt.why);
  if (i == a.gs.size()) {
    w.summary = "there is no goroutine " + std::to_string(a.opt.why);
    a.out.why = std::move(w);
    return;
  }
  const Goroutine& g = *a.gs[i];
  if (!blocked(g)) {
    w.summary = "goroutine " + std::to_string(g.id) + " [" + goroutine_status(g) +
                "] is not blocked on anything the analysis follows: it can run, and is a root";
  } else if (!a.targets_known[i]) {
    w.summary = "the cases of goroutine " + std::to_string(g.id) + "'s select could not be read: it counts as able to run";
  } else if (!a.live[i]) {
    w.leaked = true;
    w.summary = "goroutine " + std::to_string(g.id) + " is leaked: nothing that can still run refers to what it waits on";
  } else {
    w.summary = "goroutine " + std::to_string(g.id) + " [" + goroutine_status(g) +
                "] is not leaked: what it waits on is reachable from a root";
    w.path = WhyChain(a, i).walk();
  }
  a.out.why = std::move(w);
}

// name_stale_copies() adds to each proven finding's targets the dead stack slots (of
// goroutines that can run) that still hold an address in the target's heap block: what
// a conservative scan would have taken for a reference.
void name_stale_copies(Analysis& a) {
  const auto& notes = a.s.memory->slot_notes;
  if (!notes) return;
  bool any = false;
  for (const LeakVerdict& f : a.out.findings) any = any || f.check == CheckId::kNoExitPath;
  if (!any) return;
  // One pass over the dead words of the goroutines that can run: which heap block each
  // points into (a few per block are kept).
  struct Stale {
    uint64_t goroutine, value;
    uint32_t note;
  };
  std::unordered_map<uint64_t, std::vector<Stale>> by_block;
  for (const MemoryRegion& r : a.s.memory->regions) {
    if (r.kind != RegionKind::kStack || !r.roots || r.roots->dead.empty()) continue;
    std::size_t g = a.index_of(r.goroutine);
    if (g == a.gs.size() || !a.live[g]) continue;
    for (const StackSlot& d : r.roots->dead) {
      for (uint64_t w = r.start + d.lo; w + 8 <= r.start + d.hi; w += 8) {
        if (w < r.start || w + 8 > r.end) continue;
        uint64_t v, lo, hi;
        std::memcpy(&v, r.data + (w - r.start), 8);
        if (!a.marker.block_range(v, &lo, &hi)) continue;
        std::vector<Stale>& list = by_block[lo];
        if (list.size() < 8) list.push_back({r.goroutine, v, d.note});
      }
    }
  }
  if (by_block.empty()) return;
  for (LeakVerdict& f : a.out.findings) {
    if (f.check != CheckId::kNoExitPath) continue;
    for (WaitTarget& t : f.waits) {
      uint64_t lo, hi;
      if (!a.marker.block_range(t.address, &lo, &hi)) continue;
      auto it = by_block.find(lo);
      if (it == by_block.end()) continue;
      for (const Stale& st : it->second) {
        const SlotNote& n = st.note < notes->size() ? (*notes)[st.note] : SlotNote{};
        std::string what = n.variable.rfind("register ", 0) == 0 || n.variable.rfind("a ", 0) == 0
                               ? n.variable
                               : "variable `" + n.variable + "`";
        t.stale.push_back("goroutine " + std::to_string(st.goroutine) +
                          (n.function.empty() ? "" : ", frame " + n.function) + ": " + what +
                          (n.scope.empty() ? "" : " (" + n.scope + ")") + " still holds " + hex(st.value) +
                          " (a stale copy)");
      }
    }
  }
}

void check_no_exit_path(Analysis& a) {
  if (!a.have_memory) {
    a.out.notes.push_back(
        "the target's memory was not read (a dead process, or this one): only nil-channel and select-no-cases "
        "leaks can be proven");
    return;
  }
  Marker& m = a.marker;
  m.begin(0);
  if (a.opt.why != 0) m.track();
  for (const MemoryRegion* r : a.roots) m.scan(r->data, r->end - r->start, r->start);
  m.set_source(Marker::kRegisterWord);
  for (uint64_t w : a.s.memory->register_words) m.word(w);
  for (std::size_t p = 0; p < a.s.memory->pipes.size(); ++p) {
    m.set_source(pipe_source(p));
    for_each_pipe_word(a.s.memory->pipes[p], [&](uint64_t w) { m.word(w); });
  }
  for (std::size_t i = 0; i < a.gs.size(); ++i) {
    bool can_run = !blocked(*a.gs[i]) || (!a.decided[i] && !a.targets_known[i]);
    if (!can_run) continue;
    a.live[i] = 1;
    a.out.can_run.push_back(a.gs[i]->id);
    m.mark_goroutine(i);
  }
  m.drain();
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < a.gs.size(); ++i) {
      if (a.live[i] || a.decided[i] || !blocked(*a.gs[i])) continue;
      for (const WaitTarget& t : a.targets[i]) {
        if (a.reachable(t.address)) {
          a.live[i] = 1;
          a.woken_by[i] = t.address;
          changed = true;
          m.mark_goroutine(i);
          break;
        }
      }
    }
    m.drain();
    if (!changed) changed = m.flush_windows();
  }
  if (a.opt.why != 0) explain(a);
  a.out.memory_analysed = true;
  a.out.bytes_scanned = m.bytes();
  a.out.heap_blocks = m.blocks();
  a.out.heap_blocks_marked = m.blocks_marked(0);
  std::string roots = goroutine_list(a, a.out.can_run);
  for (std::size_t i = 0; i < a.gs.size(); ++i) {
    if (a.live[i] || a.decided[i] || !blocked(*a.gs[i])) continue;
    std::string what = a.targets[i].size() > 1 ? "any of the channels of its select" : "the object it waits on";
    a.add_finding(i, a.out.complete ? Certainty::kProven : Certainty::kSuspected,
                  "nothing that can still run refers to " + what +
                      ": not the goroutines that can run (" + (roots.empty() ? "none" : roots) +
                      "), not globals, thread stacks, registers or the heap they reach");
  }
  name_stale_copies(a);
}

void check_blocked_long(Analysis& a) {
  if (a.opt.suspect_after_ns <= 0) return;
  for (std::size_t i = 0; i < a.gs.size(); ++i) {
    const Goroutine& g = *a.gs[i];
    if (!blocked(g) || a.decided[i] || g.wait_ns < a.opt.suspect_after_ns) continue;
    a.add_finding(i, Certainty::kSuspected,
                  "blocked for " + format_duration(g.wait_ns) + " on an object that something that can run still refers to");
    for (WaitTarget& t : a.out.findings.back().waits) t.reachable = a.reachable(t.address);
  }
}

// Who holds what: each leaked goroutine's own references, traced one at a time.
void trace_holders(Analysis& a) {
  if (!a.have_memory || !a.out.memory_analysed) return;
  std::vector<std::size_t> leaked;
  for (const LeakVerdict& f : a.out.findings) {
    if (f.check == CheckId::kNoExitPath) leaked.push_back(a.index_of(f.goroutine));
  }
  if (leaked.size() > a.opt.max_holder_scans) {
    a.out.notes.push_back("holders traced for the first " + std::to_string(a.opt.max_holder_scans) + " of " +
                          std::to_string(leaked.size()) + " leaked goroutines");
    leaked.resize(a.opt.max_holder_scans);
  }
  // All wait targets of leaked goroutines, by address, and by the unit of memory they
  // lie in: after each trace only the units it touched are looked at (asking about
  // every target after every trace made this quadratic in the leaked goroutines).
  std::unordered_map<uint64_t, std::vector<uint64_t>> holders;
  std::unordered_map<uint64_t, std::vector<uint64_t>> targets_in;
  for (const LeakVerdict& f : a.out.findings) {
    for (const WaitTarget& t : f.waits) {
      if (!holders.try_emplace(t.address).second) continue;
      uint64_t u = a.marker.unit_of(t.address);
      if (u != Marker::kNoUnit) targets_in[u].push_back(t.address);
    }
  }
  uint32_t mode = 1;
  for (std::size_t i : leaked) {
    Marker& m = a.marker;
    m.begin(mode);
    m.mark_goroutine(i);
    m.drain();
    m.flush_windows();
    std::vector<uint64_t> units = m.touched();
    std::sort(units.begin(), units.end());
    units.erase(std::unique(units.begin(), units.end()), units.end());
    for (uint64_t u : units) {
      auto it = targets_in.find(u);
      if (it == targets_in.end()) continue;
      for (uint64_t addr : it->second) {
        if (m.reached(addr)) holders[addr].push_back(a.gs[i]->id);
      }
    }
    m.end_trace(mode);
    ++mode;
  }
  a.marker.begin(0);
  for (LeakVerdict& f : a.out.findings) {
    for (WaitTarget& t : f.waits) {
      for (uint64_t h : holders[t.address]) {
        if (h == f.goroutine) {
          t.held_by_self = true;
        } else {
          t.holders.push_back(h);
        }
      }
    }
  }
}

// An edge between leaked goroutines: g -> to when `to` holds the lock g waits for
// (owner), or refers to the object g waits on.
struct WaitEdge {
  uint64_t to;
  const WaitTarget* via;
  bool owner;
};
using WaitGraph = std::unordered_map<uint64_t, std::vector<WaitEdge>>;

// wait_graph() is the edges between the proven leaked goroutines; ids are theirs, in order.
WaitGraph wait_graph(const LeakAnalysis& out, std::vector<uint64_t>& ids) {
  std::unordered_map<uint64_t, const LeakVerdict*> leaked;
  for (const LeakVerdict& f : out.findings) {
    if (f.certainty == Certainty::kProven) leaked[f.goroutine] = &f;
  }
  for (auto& [id, f] : leaked) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  WaitGraph edges;
  for (uint64_t id : ids) {
    for (const WaitTarget& t : leaked[id]->waits) {
      if (t.owner != 0 && t.owner != id && leaked.count(t.owner)) {
        edges[id].push_back({t.owner, &t, true});
        continue;
      }
      for (uint64_t h : t.holders) {
        if (leaked.count(h)) edges[id].push_back({h, &t, false});
      }
    }
  }
  return edges;
}

// strongly_connected() is Tarjan's strongly connected components of two or more
// goroutines: each holds a cycle.
std::vector<std::vector<uint64_t>> strongly_connected(WaitGraph& edges, const std::vector<uint64_t>& ids) {
  std::unordered_map<uint64_t, int> index, low;
  std::unordered_map<uint64_t, bool> on_stack;
  std::vector<uint64_t> stack;
  int next = 0;
  std::vector<std::vector<uint64_t>> sccs;
  std::function<void(uint64_t)> connect = [&](uint64_t v) {
    index[v] = low[v] = next++;
    stack.push_back(v);
    on_stack[v] = true;
    for (const WaitEdge& e : edges[v]) {
      if (!index.count(e.to)) {
        connect(e.to);
        low[v] = std::min(low[v], low[e.to]);
      } else if (on_stack[e.to]) {
        low[v] = std::min(low[v], index[e.to]);
      }
    }
    if (low[v] == index[v]) {
      std::vector<uint64_t> c;
      uint64_t w;
      do {
        w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        c.push_back(w);
      } while (w != v);
      if (c.size() > 1) sccs.push_back(std::move(c));
    }
  };
  for (uint64_t id : ids) {
    if (!index.count(id)) connect(id);
  }
  return sccs;
}

// cycle_in() walks a component from its lowest id, preferring lock-owner edges, until a
// goroutine repeats: the cycle it closes, or nothing.
std::optional<DeadlockCycle> cycle_in(std::vector<uint64_t>& c, WaitGraph& edges) {
  std::sort(c.begin(), c.end());
  std::unordered_map<uint64_t, bool> in_c;
  for (uint64_t v : c) in_c[v] = true;
  std::vector<CycleStep> path;
  std::unordered_map<uint64_t, std::size_t> seen;
  uint64_t v = c.front();
  while (!seen.count(v)) {
    seen[v] = path.size();
    const WaitEdge* pick = nullptr;
    for (const WaitEdge& e : edges[v]) {
      if (!in_c[e.to]) continue;
      if (!pick || (e.owner && !pick->owner)) pick = &e;
    }
    if (!pick) break;
    CycleStep st;
    st.goroutine = v;
    st.waits_for = *pick->via;
    st.blocked_by = pick->to;
    st.by_lock_owner = pick->owner;
    path.push_back(st);
    v = pick->to;
  }
  if (!seen.count(v)) return std::nullopt;
  DeadlockCycle cycle;
  cycle.steps.assign(path.begin() + static_cast<std::ptrdiff_t>(seen[v]), path.end());
  if (cycle.steps.size() < 2) return std::nullopt;
  return cycle;
}

void check_cycles(Analysis& a) {
  trace_holders(a);
  std::vector<uint64_t> ids;
  WaitGraph edges = wait_graph(a.out, ids);
  for (std::vector<uint64_t>& c : strongly_connected(edges, ids)) {
    if (std::optional<DeadlockCycle> cycle = cycle_in(c, edges)) a.out.cycles.push_back(std::move(*cycle));
  }
}

struct Check {
  CheckId id;
  void (*run)(Analysis&);
  bool after_crash;  // still meaningful when a crash stopped every goroutine
};

// The checks, in the order they run: each sees what the earlier ones decided.
constexpr Check kChecks[] = {
    {CheckId::kNilChannel, check_nil_channel, true},
    {CheckId::kSelectNoCases, check_select_no_cases, true},
    {CheckId::kNoExitPath, check_no_exit_path, false},
    {CheckId::kBlockedLong, check_blocked_long, false},
    {CheckId::kDeadlockCycle, check_cycles, false},
};

}  // namespace

const char* check_name(CheckId c) {
  switch (c) {
    case CheckId::kNilChannel: return "nil-channel";
    case CheckId::kSelectNoCases: return "select-no-cases";
    case CheckId::kNoExitPath: return "no-exit-path";
    case CheckId::kBlockedLong: return "blocked-long";
    case CheckId::kDeadlockCycle: return "deadlock-cycle";
  }
  return "unknown";
}

std::size_t LeakAnalysis::count(Certainty c) const {
  return static_cast<std::size_t>(
      std::count_if(findings.begin(), findings.end(), [&](const LeakVerdict& f) { return f.certainty == c; }));
}

const LeakVerdict* LeakAnalysis::find(uint64_t goroutine) const {
  auto it = std::lower_bound(findings.begin(), findings.end(), goroutine,
                             [](const LeakVerdict& f, uint64_t id) { return f.goroutine < id; });
  return it != findings.end() && it->goroutine == goroutine ? &*it : nullptr;
}

LeakAnalysis find_leaks(const Snapshot& s, const LeakOptions& opt) {
  int64_t t0 = monotonic_ns();
  LeakAnalysis out;
  Analysis a(s, opt, out);
  a.have_memory = s.memory != nullptr;
  if (a.have_memory) {
    a.prepare_memory();
  } else {
    for (std::size_t i = 0; i < a.gs.size(); ++i) {
      if (blocked(*a.gs[i])) a.targets[i].push_back(a.target(a.gs[i]->wait_object));
    }
  }
  if (s.crash) out.notes.push_back("the process crashed: its goroutines were stopped by the crash, not leaked");
  for (const Check& c : kChecks) {
    if (s.crash && !c.after_crash) continue;
    a.check = c.id;
    c.run(a);
  }
  std::sort(out.findings.begin(), out.findings.end(),
            [](const LeakVerdict& x, const LeakVerdict& y) { return x.goroutine < y.goroutine; });
  out.analysis_ns = monotonic_ns() - t0;
  return out;
}

void mark_leaked(Snapshot& s, const LeakAnalysis& r) {
  for (Goroutine& g : s.goroutines) {
    const LeakVerdict* f = r.find(g.id);
    g.leaked = f && f->certainty == Certainty::kProven;
  }
}

std::string innermost_own_function(const Goroutine& g) {
  for (const Frame& f : g.stack) {
    if (!f.runtime) return f.function;
  }
  return {};
}

}  // namespace gleak::inspector
