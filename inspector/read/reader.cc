// inspector/read/reader.cc — see reader.h.
#include "inspector/read/reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "arena/clock.h"
#include "inspector/read/arena_file.h"
#include "inspector/errors.h"
#include "inspector/read/event_follow.h"
#include "inspector/read/fork_copy.h"
#include "inspector/read/memory.h"
#include "inspector/read/frame_roots.h"
#include "inspector/read/memory_image.h"
#include "inspector/read/symbols.h"
#include "inspector/read/unwind.h"

namespace gleak::inspector {

using namespace arena;

namespace {

// owner_of_dir() is the uid that owns the directory holding path.
uid_t owner_of_dir(const std::string& path) {
  struct stat st;
  std::string dir = path.substr(0, path.rfind('/'));
  return stat(dir.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

// parse_labels() reads a record's labels text ("k=v" pairs, '\n' between them), which
// need not be NUL-terminated in a damaged record.
std::vector<std::pair<std::string, std::string>> parse_labels(const char (&text)[kLabelBytes]) {
  std::vector<std::pair<std::string, std::string>> out;
  for_each_label(text, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
  return out;
}

// No goroutine's stack is larger than this; a record that says otherwise is damaged.
constexpr uint64_t kMaxStackCopy = uint64_t{1} << 30;
// At most this much of the target's pipe buffers is kept for the leak analysis (a pipe
// holds 64 KiB by default, at most /proc/sys/fs/pipe-max-size).
constexpr std::size_t kMaxPipeBytes = std::size_t{64} << 20;

// sane() drops what no record the runtime writes can hold: a stack whose ends are
// reversed or too far apart, a closure that wraps around the address space. The rest
// of the reader then never does arithmetic that wraps.
void sane(GoroutineRecord& r) {
  if (r.stack_lo > r.stack_hi || r.stack_hi - r.stack_lo > kMaxStackCopy || r.stack_lo < 4096) {
    r.stack_lo = r.stack_hi = r.context = 0;
  }
  if (r.closure_size > (64u << 20) || r.closure > ~uint64_t{0} - r.closure_size) r.closure = r.closure_size = 0;
}

bool process_exists(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<std::size_t>(n));
}

// same_process() tells whether pid is still the process that wrote the arena, not a
// later process that got its pid: its start time must be the one the arena recorded,
// and its owner the file's (a process writes its arena as itself). A dead process's
// arena must never lead to stopping an unrelated process.
bool same_process(int pid, const ArenaHeader& h, uid_t file_owner) {
  if (!process_exists(pid)) return false;
  std::string dir = "/proc/" + std::to_string(pid);
  char text[1024];
  int fd = open((dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, text, sizeof text - 1);
  struct stat st;
  bool owned = fstat(fd, &st) == 0 && st.st_uid == file_owner;
  close(fd);
  if (n <= 0 || !owned) return false;
  if (h.start_ticks == 0 || stat_start_ticks(text, static_cast<std::size_t>(n)) != h.start_ticks) return false;
  std::string exe = read_link(dir + "/exe");
  // A binary replaced on disk while it runs (rebuilt, upgraded) reads as "<path> (deleted)".
  constexpr std::string_view kDeleted = " (deleted)";
  if (exe.size() > kDeleted.size() && exe.compare(exe.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0) {
    exe.resize(exe.size() - kDeleted.size());
  }
  return exe.empty() || exe == std::string(h.exe, strnlen(h.exe, sizeof h.exe));
}

// wipe() zeroes a vector's elements before it lets them go. A process that reads
// itself and then runs the leak analysis on itself (gleak::testing's proofs) must not
// leave goroutine addresses in freed heap blocks: the analysis scans small freed
// blocks (glibc's tcache looks allocated) and would take them for references.
// For plain-data elements only (records, ranges).
template <class T>
void wipe(std::vector<T>& v) {
  if (!v.empty()) explicit_bzero(static_cast<void*>(v.data()), v.size() * sizeof(T));
  v.clear();
  v.shrink_to_fit();
}

// maps_of() is the text of /proc/<pid>/maps; empty when it cannot be read.
std::string maps_of(pid_t pid) {
  std::string text;
  std::FILE* mf = std::fopen(("/proc/" + std::to_string(pid) + "/maps").c_str(), "re");
  if (!mf) return text;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, mf)) > 0;) text.append(buf, n);
  std::fclose(mf);
  return text;
}

// wiped_on_fork() are the mappings of pid marked MADV_WIPEONFORK (VmFlags "wf" in
// /proc/<pid>/smaps): a fork's copy of them reads as zeros.
std::vector<std::pair<uint64_t, uint64_t>> wiped_on_fork(pid_t pid) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/smaps").c_str(), "re");
  if (!f) return out;
  char line[4096];
  unsigned long long lo = 0, hi = 0;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long a = 0, b = 0;
    if (std::sscanf(line, "%llx-%llx ", &a, &b) == 2 && std::strchr(line, '-') < std::strchr(line, ' ')) {
      lo = a;
      hi = b;
    } else if (std::strncmp(line, "VmFlags:", 8) == 0 && std::strstr(line, " wf")) {
      out.emplace_back(lo, hi);
    }
  }
  std::fclose(f);
  return out;
}

}  // namespace

// ParkedStacks holds the walked stacks of parked goroutines by id, with what their
// record said when the stack was read: the seqlock count (it changes with every write
// of the record, and every resume and park writes it) and the saved context.
class ParkedStacks {
 public:
  struct Entry {
    uint32_t seq = 0;
    uint64_t context = 0;
    std::vector<uint64_t> pcs;
  };
  std::mutex mu;
  int pid = 0;
  std::unordered_map<uint64_t, Entry> by_id;
};

std::shared_ptr<ParkedStacks> make_parked_stacks() { return std::make_shared<ParkedStacks>(); }

std::size_t parked_stacks_size(const ParkedStacks& cache) { return cache.by_id.size(); }

namespace {

// Counter counts goroutines by state, wait reason and label set: a plain table for the
// unlabelled ones (most of them), a map keyed by the labels text for the rest.
class Counter {
 public:
  void add(GoroutineState state, WaitReason reason, const char (&labels)[kLabelBytes], int64_t wait_ns) {
    auto st = static_cast<uint32_t>(state);
    auto wr = static_cast<uint32_t>(reason);
    if (st >= kStates) return;
    bool blocked = state == GoroutineState::kWaiting || state == GoroutineState::kSyscall;
    if (!blocked || wr >= kReasons) wr = 0;
    ++counts_.total;
    if (blocked) {
      ++counts_.blocked;
      if (wait_ns >= 0) counts_.wait_ns.push_back(wait_ns);
    }
    if (labels[0] == '\0') {
      ++plain_[st][wr];
      return;
    }
    std::string key(1, static_cast<char>(st));
    key += static_cast<char>(wr);
    key.append(labels, strnlen(labels, kLabelBytes));
    ++labelled_[key];
  }

  GoroutineCounts finish() {
    for (uint32_t st = 0; st < kStates; ++st) {
      for (uint32_t wr = 0; wr < kReasons; ++wr) {
        if (plain_[st][wr] != 0) counts_.groups.push_back({GoroutineState(st), WaitReason(wr), {}, plain_[st][wr]});
      }
    }
    for (const auto& [key, n] : labelled_) {
      GoroutineGroup g{GoroutineState(uint8_t(key[0])), WaitReason(uint8_t(key[1])), {}, n};
      char text[kLabelBytes] = {};
      key.copy(text, std::min<std::size_t>(key.size() - 2, kLabelBytes - 1), 2);
      for_each_label(text, [&](std::string_view k, std::string_view v) { g.labels.emplace_back(k, v); });
      counts_.groups.push_back(std::move(g));
    }
    return std::move(counts_);
  }

 private:
  static constexpr uint32_t kStates = 6;    // GoroutineState's values
  static constexpr uint32_t kReasons = 16;  // more than WaitReason has
  uint64_t plain_[kStates][kReasons] = {};
  std::map<std::string, uint64_t> labelled_;
  GoroutineCounts counts_;
};

struct Reader {
  Reader(ArenaFile& f, const ReadOptions& o, Snapshot& s) : file(f), opt(o), snap(s) {}
  ~Reader() {
    wipe(records);
    wipe(pre_records);
    wipe(stop_closures);
    wipe(stop_closure_at);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  ArenaFile& file;
  const ReadOptions& opt;
  Snapshot& snap;
  bool live = false;
  bool self = false;
  int host_pid = 0;  // the pid in our namespace, when the header's is another namespace's
  std::unique_ptr<StopTheWorld> stopped;
  // The frozen copy the memory is read from, once the target runs again (else 0: the
  // target itself, stopped), and what it cannot hold, taken while the target was
  // stopped: the pipes' pending bytes, the memory map, and the closures that lie in
  // the arena (mapped shared, so the copy sees it change).
  std::unique_ptr<ForkCopy> copy;
  pid_t mem_pid = 0;
  std::optional<PipeScan> stop_pipes;
  std::string stop_maps;
  std::vector<std::pair<uint64_t, std::size_t>> stop_closure_at;  // (closure address, offset in stop_closures)
  std::vector<char> stop_closures;
  struct RunningStack {
    std::size_t index;
    std::vector<uint64_t> pcs;
    std::string note;
  };
  std::optional<std::vector<RunningStack>> stop_running;  // running goroutines, unwound in the stop
  std::shared_ptr<Symbols> symbols;
  std::vector<GoroutineRecord> records;
  std::vector<bool> torn;
  std::vector<const GoroutineRecord*> sources;  // where each record lies in the arena
  std::vector<uint64_t> positions;              // and its place in the table (visit_pos)
  int64_t reference_ns = 0;  // "now" for wait durations (the death time for a dead process)

  const ArenaHeader& h() const { return file.header(); }

  void read_header() {
    snap.pid = host_pid != 0 ? host_pid : h().pid;
    snap.exe = std::string(h().exe, strnlen(h().exe, sizeof h().exe));
    snap.cmdline = std::string(h().cmdline, strnlen(h().cmdline, sizeof h().cmdline));
    while (!snap.cmdline.empty() && snap.cmdline.back() == ' ') snap.cmdline.pop_back();
    snap.arena_path = file.path();
    snap.state = static_cast<ProcessState>(h().state.load(std::memory_order_acquire));
    snap.procs = h().procs.load(std::memory_order_relaxed);
    snap.at_exit = h().gate_stage.load(std::memory_order_acquire) == static_cast<uint32_t>(GateStage::kAtExit);
    snap.start_realtime_ns = h().start_realtime_ns;
  }

  // for_each_record() calls fn(record) for every goroutine record of the table that
  // is not free when looked at (it is mapped, and changing: fn copies what it needs).
  template <class Fn>
  void for_each_record(Fn fn) {
    uint32_t chunks = h().goroutine_chunks.load(std::memory_order_acquire);
    uint32_t stride = h().goroutine_stride;
    for (uint32_t c = 0; c < chunks; ++c) {
      const char* base = file.at<char>(h().goroutine_chunk_offset[c], std::size_t{stride} * kGoroutinesPerChunk);
      if (!base) continue;
      for (uint32_t i = 0; i < kGoroutinesPerChunk; ++i) {
        const auto* src = reinterpret_cast<const GoroutineRecord*>(base + std::size_t{i} * stride);
        visit_pos = uint64_t{c} * kGoroutinesPerChunk + i;
        if (src->state != GoroutineState::kFree) fn(src);
      }
    }
  }

  void read_goroutines() {
    std::size_t slots = std::size_t{h().goroutine_chunks.load(std::memory_order_acquire)} * kGoroutinesPerChunk;
    if (records.capacity() < slots && pre_records.empty()) records.reserve(slots);
    for_each_record([&](const GoroutineRecord* src) {
      if (GoroutineRecord* same = unchanged_since_precopy(src)) {
        records.push_back(*same);
        torn.push_back(false);
        sources.push_back(src);
        positions.push_back(visit_pos);
        from_pre.push_back(static_cast<int64_t>(pre_cursor));
        return;
      }
      GoroutineRecord r;
      bool ok = read_seqlocked(src, &r);
      if (r.state == GoroutineState::kFree || r.state == GoroutineState::kDead) return;
      sane(r);
      records.push_back(r);
      torn.push_back(!ok);
      sources.push_back(src);
      positions.push_back(visit_pos);
      from_pre.push_back(-1);
    });
  }

  // count_goroutines() counts the records where they are, copying none (counts_only).
  void count_goroutines() {
    Counter counter;
    int64_t now = live ? clock_ns(CLOCK_MONOTONIC_COARSE) : 0;
    // A process that never set a label: no record's labels need a look (the labels
    // are a cache line of their own).
    bool labelled = (file.live_header().flags.load(std::memory_order_acquire) & kArenaLabelled) != 0;
    for_each_record([&](const GoroutineRecord* src) {
      // Only what is counted: the record's first cache line, and its labels if it has
      // any (a third of the bytes of a whole copy), under its seqlock.
      static_assert(offsetof(GoroutineRecord, wait_since_ns) + sizeof(int64_t) <= 64);
      GoroutineRecord r;
      for (int attempt = 0; attempt < 200; ++attempt) {
        uint32_t s1 = src->seq.load(std::memory_order_acquire);
        bool last = attempt == 199;  // a writer that died mid-update: take it as it is
        if ((s1 & 1) != 0 && !last) continue;
        std::memcpy(static_cast<void*>(&r), static_cast<const void*>(src), 64);
        r.labels[0] = labelled ? src->labels[0] : '\0';
        if (r.labels[0] != '\0') std::memcpy(r.labels, src->labels, sizeof r.labels);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (src->seq.load(std::memory_order_relaxed) == s1 || last) break;
      }
      if (r.state == GoroutineState::kFree || r.state == GoroutineState::kDead) return;
      int64_t wait = live && r.wait_since_ns > 0 ? std::max<int64_t>(0, now - r.wait_since_ns) : -1;
      counter.add(r.state, r.wait_reason, r.labels, wait);
    });
    snap.counts = counter.finish();
  }

  // count_snapshot() is the same count of the goroutines the snapshot lists.
  void count_snapshot() {
    Counter counter;
    for (const Goroutine& g : snap.goroutines) {
      char text[kLabelBytes] = {};
      std::size_t at = 0;
      for (const auto& [k, v] : g.labels) {  // back to the record's text, which the count keys on
        std::string kv = (at ? "\n" : "") + k + "=" + v;
        if (at + kv.size() >= kLabelBytes) break;
        kv.copy(text + at, kv.size());
        at += kv.size();
      }
      counter.add(g.state, g.wait_reason, text, g.wait_ns);
    }
    snap.counts = counter.finish();
  }

  void read_crash() {
    const auto* cr = file.at<CrashRecord>(h().crash_offset);
    if (!cr || cr->present == 0) return;
    CrashRecord r;
    read_seqlocked(cr, &r);
    Crash c;
    c.goroutine = r.goroutine;
    c.signal = r.signal;
    c.tid = r.tid;
    c.fault_address = r.fault_address;
    c.message = std::string(r.message, strnlen(r.message, sizeof r.message));
    c.exception_type = std::string(r.exception_type, strnlen(r.exception_type, sizeof r.exception_type));
    c.time_ns = r.time_ns;
    c.chain_recorded = r.goroutine != 0;
    for (uint32_t i = 0; i < std::min(r.nancestors, kMaxAncestors); ++i) {
      Ancestor a;
      a.goroutine = r.ancestors[i].goroutine;
      a.parent_id = r.ancestors[i].parent;
      a.create_pc = r.ancestors[i].create_pc;
      if (symbols && a.create_pc) a.created_by = symbols->creation(a.create_pc);
      c.ancestors.push_back(std::move(a));
    }
    c.ancestor_gone = r.ancestor_gone;
    std::vector<uint64_t> pcs(r.frames, r.frames + std::min<uint32_t>(r.nframes, kMaxCrashFrames));
    if (symbols) {
      std::vector<Frame> frames = symbols->stack(pcs, false);
      // Everything down to the throw (or the signal frame) is how the report was made.
      std::size_t last = 0;
      bool found = false;
      for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].function == "__cxa_throw") {
          last = i;
          found = true;
        }
      }
      for (std::size_t i = 0; found && i <= last; ++i) frames[i].runtime = true;
      for (auto& f : frames) {
        if (symbolize::is_panic_machinery({f.pc, f.function, f.file, f.line, f.offset, f.module})) f.runtime = true;
      }
      c.stack = std::move(frames);
    } else {
      std::vector<Frame> frames;
      for (uint64_t pc : pcs) frames.push_back(Frame{pc, "", "", 0, 0, "", false});
      c.stack = std::move(frames);
    }
    snap.crash = std::move(c);
  }

  // read_recovered() copies the ring of recovered panics: record i is whole and still
  // record i when its seq reads 2i+2 before and after the copy.
  void read_recovered() {
    uint64_t off = h().recover_offset.load(std::memory_order_acquire);
    const RecoverRecord* ring = off ? file.at<RecoverRecord>(off, kRecoverRecords) : nullptr;
    if (!ring) return;
    uint64_t written = h().recover_written.load(std::memory_order_acquire);
    uint64_t first = written > kRecoverRecords ? written - kRecoverRecords : 0;
    snap.recovered_lost = first;
    for (uint64_t i = first; i < written; ++i) {
      const RecoverRecord& src = ring[i % kRecoverRecords];
      if (src.seq.load(std::memory_order_acquire) != 2 * i + 2) continue;
      RecoverRecord r = src;
      std::atomic_thread_fence(std::memory_order_acquire);
      if (src.seq.load(std::memory_order_relaxed) != 2 * i + 2) continue;
      RecoveredPanic p;
      p.index = i;
      p.goroutine = r.goroutine;
      p.time_ns = r.time_ns;
      p.message = std::string(r.message, strnlen(r.message, sizeof r.message));
      p.truncated = (r.flags & kRecoverTruncated) != 0;
      p.type = std::string(r.type, strnlen(r.type, sizeof r.type));
      p.recover_pc = r.recover_pc;
      std::vector<uint64_t> pcs(r.frames, r.frames + std::min(r.nframes, kRecoverFrames));
      if (symbols) {
        std::vector<Frame> frames = symbols->stack(pcs, false);
        for (auto& f : frames) {
          if (symbolize::is_panic_machinery({f.pc, f.function, f.file, f.line, f.offset, f.module})) f.runtime = true;
        }
        for (const Frame& f : frames) {
          if (!f.runtime) {
            p.thrown_at = f;
            break;
          }
        }
        p.stack = std::move(frames);
        if (r.recover_pc) p.recovered_in = symbols->creation(r.recover_pc);
      } else {
        std::vector<Frame> frames;
        for (uint64_t pc : pcs) frames.push_back(Frame{pc, "", "", 0, 0, "", false});
        p.stack = std::move(frames);
      }
      snap.recovered.push_back(std::move(p));
    }
  }

  // read_totals() adds up the rings' counters; Ring::written and the counters only
  // grow, so a racy read is merely a moment old.
  void read_totals() {
    Totals& t = snap.totals;
    for (uint32_t r = 0; r < kMaxRings; ++r) {
      uint64_t off = h().ring_offset[r].load(std::memory_order_acquire);
      const Ring* ring = off ? file.at<Ring>(off) : nullptr;
      if (!ring) continue;
      uint64_t written = ring->written.load(std::memory_order_acquire);
      t.events_written += written;
      t.events_overwritten += written > kRingEvents ? written - kRingEvents : 0;
      t.goroutines_created += ring->spawned.load(std::memory_order_relaxed);
      t.goroutines_exited += ring->exited.load(std::memory_order_relaxed);
    }
    t.panics_recovered = h().recover_written.load(std::memory_order_acquire);
  }

  void read_events() {
    std::vector<Event> all;
    for (uint32_t r = 0; r < kMaxRings; ++r) {
      uint64_t off = h().ring_offset[r].load(std::memory_order_acquire);
      const Ring* ring = off ? file.at<Ring>(off) : nullptr;
      if (!ring) continue;
      // Everything the ring holds: what was overwritten before is lost.
      uint64_t next = 0;
      snap.events_lost += read_ring(*ring, r == kExternalRing ? -1 : static_cast<int>(r), &next, all);
    }
    std::stable_sort(all.begin(), all.end(), [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
    snap.events = std::move(all);
  }

  void read_objects() {
    uint32_t chunks = h().object_chunks.load(std::memory_order_acquire);
    for (uint32_t c = 0; c < chunks; ++c) {
      const auto* base = file.at<ObjectRecord>(h().object_chunk_offset[c], kObjectsPerChunk);
      if (!base) continue;
      for (uint32_t i = 0; i < kObjectsPerChunk; ++i) {
        if (base[i].kind == ObjectKind::kFree) continue;
        ObjectRecord r;
        read_seqlocked(&base[i], &r);
        if (r.kind == ObjectKind::kFree) continue;
        Object o;
        o.id = r.id;
        o.kind = r.kind;
        o.address = r.address;
        o.creator = r.creator;
        o.create_pc = r.create_pc;
        o.word0 = r.word0;
        o.word1 = r.word1;
        o.flags = r.flags;
        if (symbols && r.create_pc) o.created_at = symbols->creation(r.create_pc);
        snap.objects.push_back(std::move(o));
      }
    }
    std::sort(snap.objects.begin(), snap.objects.end(), [](const Object& a, const Object& b) { return a.id < b.id; });
  }

  // Stacks of a live process: copies of the parked goroutines' used stacks, walked by
  // frame pointers; running goroutines unwound from their stopped threads.
  std::vector<std::vector<uint64_t>> live_stacks(std::vector<std::string>& notes, std::vector<bool>& first_is_pc) {
    std::size_t n = records.size();
    std::vector<std::vector<uint64_t>> stacks = std::move(scratch_stacks);
    stacks.clear();
    stacks.resize(n);
    if (notes.capacity() < scratch_notes.capacity()) notes.swap(scratch_notes);
    notes.assign(n, {});
    first_is_pc.assign(n, false);
    ProcessMemory mem(mem_pid ? mem_pid : snap.pid, mem_pid != 0);
    ranges.clear();
    owner.clear();
    reused.assign(n, false);
    // Reusable walked stacks: the cache is this process's, and no memory image is made
    // (that needs every stack copied).
    ParkedStacks* cache = opt.parked_stacks && !opt.memory ? opt.parked_stacks.get() : nullptr;
    std::unique_lock<std::mutex> cache_lock;
    if (cache != nullptr) {
      cache_lock = std::unique_lock<std::mutex>(cache->mu);
      if (cache->pid != snap.pid) cache->by_id.clear();
      cache->pid = snap.pid;
    }
    std::size_t total = 0;
    pre_used.assign(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
      const GoroutineRecord& r = records[i];
      if (r.state == GoroutineState::kRunning || (stopped && switching(r))) continue;
      if (r.context == 0 || r.stack_hi == 0) {
        notes[i] = "not started yet";
        continue;
      }
      if (r.context < r.stack_lo || r.context > r.stack_hi || r.stack_hi - r.context < kContextSize) {
        notes[i] = "saved context outside its stack";
        continue;
      }
      if (const ProcessMemory::Range* copy = precopied(i)) {
        pre_used[i] = copy;  // parked since the copy made before the stop
        continue;
      }
      if (cache != nullptr && !torn[i]) {
        auto it = cache->by_id.find(r.id);
        if (it != cache->by_id.end() && it->second.seq == r.seq.load(std::memory_order_relaxed) &&
            it->second.context == r.context) {
          stacks[i] = it->second.pcs;  // it has not run since
          reused[i] = true;
          continue;
        }
      }
      total += r.stack_hi - r.context;
    }
    // One buffer for every copied stack, populated in bulk (page faults one by one cost
    // more than the copy) and not zeroed: the reads fill what is used. The copies are
    // walked by walk_parked() once the target runs again.
    stack_copies = std::make_unique<PopulatedBuffer>(total);
    ranges.reserve(n);
    owner.reserve(n);
    std::size_t at = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const GoroutineRecord& r = records[i];
      if (r.state == GoroutineState::kRunning || (stopped && switching(r)) || !notes[i].empty() || reused[i] ||
          pre_used[i]) {
        continue;
      }
      std::size_t size = r.stack_hi - r.context;
      ranges.push_back({r.context, size, stack_copies->data() + at});
      owner.push_back(i);
      at += size;
    }
    mem.read_all(ranges);
    for (std::size_t i = 0; i < n; ++i) {
      if (!pre_used[i]) continue;
      ranges.push_back(*pre_used[i]);
      owner.push_back(i);
    }
    if (stop_running) {
      for (RunningStack& r : *stop_running) {
        stacks[r.index] = std::move(r.pcs);
        notes[r.index] = std::move(r.note);
        first_is_pc[r.index] = true;
      }
    } else {
      running_stacks(stacks, notes, first_is_pc);
    }
    return stacks;
  }

  // running_stacks() unwinds the threads of the running goroutines, when stopped, and
  // of those stopped while they switch away: their record says parked, but the context
  // it names is the one of their last park until the next goroutine publishes the new
  // one (finish_switch() in core/scheduler.cc).
  void running_stacks(std::vector<std::vector<uint64_t>>& stacks, std::vector<std::string>& notes,
                      std::vector<bool>& first_is_pc) {
    for_each_running([&](std::size_t i, std::vector<uint64_t> pcs, std::string note) {
      stacks[i] = std::move(pcs);
      notes[i] = std::move(note);
      first_is_pc[i] = true;
    });
  }

  // for_each_running() calls fn(index, stack, note) for every goroutine running_stacks()
  // has something to say of.
  template <class Fn>
  void for_each_running(Fn fn) {
    for (std::size_t i = 0; i < records.size(); ++i) {
      const GoroutineRecord& r = records[i];
      bool on_its_way_out = stopped && switching(r);
      if (r.state != GoroutineState::kRunning && !on_its_way_out) continue;
      if (on_its_way_out) {
        int tid = h().worker_tid[r.worker].load();
        const user_regs_struct* regs = tid ? stopped->regs(tid) : nullptr;
        if (regs == nullptr || regs->rsp < r.stack_lo || regs->rsp >= r.stack_hi) {
          // Its worker already runs on the next goroutine's stack: the context just
          // saved is in that thread's registers only.
          fn(i, std::vector<uint64_t>{}, "stopped while switching to another goroutine; its stack was not read");
          continue;
        }
      }
      if (!stopped) {
        fn(i, std::vector<uint64_t>{},
           self ? "running (the reader itself)" : "running; not stopped, so its stack was not read");
        continue;
      }
      int tid = r.worker >= 0 && r.worker < static_cast<int>(kMaxRings) ? h().worker_tid[r.worker].load() : 0;
      if (tid == 0 || !stopped->regs(tid)) {
        fn(i, std::vector<uint64_t>{}, "running on an unknown thread");
        continue;
      }
      std::vector<uint64_t> pcs = unwind_stopped_thread(tid, opt.max_frames);
      bool none = pcs.empty();
      fn(i, std::move(pcs), none ? "running; its thread could not be unwound" : "");
    }
  }

  // precopy() copies the parked goroutines' stacks while the target still runs: a
  // goroutine that stays parked changes neither its record nor the frames its stack is
  // walked by. Once the target is stopped, live_stacks() takes the copy of every
  // goroutine whose record has not changed since (same place, same seqlock count,
  // whole both times), and reads again only the others and the running ones. The
  // target is then stopped for the records and what moved, not for every stack.
  //
  // The leak analysis (with_stacks false) takes only the records this way: the stacks
  // it reads from the frozen copy, once the target runs again.
  void precopy(bool with_stacks) {
    file.refresh();
    read_header();
    read_goroutines();
    if (with_stacks) scratch_stacks = live_stacks(scratch_notes, first_is_pc);
    if (!with_stacks) precopy_closures();
    pre_range_of.assign(records.size(), -1);
    for (std::size_t k = 0; k < ranges.size(); ++k) {
      std::size_t i = owner[k];
      if (!ranges[k].ok || torn[i]) continue;
      pre_range_of[i] = static_cast<int64_t>(pre_ranges.size());
      pre_ranges.push_back(ranges[k]);
    }
    pre_copies = std::move(stack_copies);
    pre_records = std::move(records);
    pre_torn = std::move(torn);
    pre_positions = std::move(positions);
    // The tables the stopped read fills are made, and their pages touched, now: page
    // faults cost more than the reading itself.
    std::size_t cap = pre_records.size() + pre_records.size() / 8 + 1024;
    records.clear();
    records.resize(cap);
    records.clear();
    torn.assign(cap, false);
    torn.clear();
    sources.assign(cap, nullptr);
    sources.clear();
    positions.assign(cap, 0);
    positions.clear();
    from_pre.assign(cap, -1);
    from_pre.clear();
    ranges.clear();
    owner.clear();
  }

  // unchanged_since_precopy() is the copy precopy() made of the record being visited,
  // when no write has touched it since (the same even seqlock count): only that word is
  // read. The table is visited in the same order both times, so the copies are met in
  // order, without a lookup.
  GoroutineRecord* unchanged_since_precopy(const GoroutineRecord* src) {
    while (pre_cursor < pre_positions.size() && pre_positions[pre_cursor] < visit_pos) ++pre_cursor;
    if (pre_cursor == pre_positions.size() || pre_positions[pre_cursor] != visit_pos || pre_torn[pre_cursor]) {
      return nullptr;
    }
    GoroutineRecord& old = pre_records[pre_cursor];
    uint32_t now = src->seq.load(std::memory_order_acquire);
    return (now & 1) == 0 && now == old.seq.load(std::memory_order_relaxed) ? &old : nullptr;
  }

  // precopied() is goroutine i's stack copy from precopy(), if its record is unchanged.
  const ProcessMemory::Range* precopied(std::size_t i) const {
    if (i >= from_pre.size() || from_pre[i] < 0) return nullptr;
    int64_t k = pre_range_of[static_cast<std::size_t>(from_pre[i])];
    return k < 0 ? nullptr : &pre_ranges[static_cast<std::size_t>(k)];
  }

  std::vector<ProcessMemory::Range> pre_ranges;  // precopy()'s stack copies that read whole
  std::vector<int64_t> pre_range_of;             // by precopy()'s record index: its copy, or -1
  std::vector<int64_t> from_pre;                 // by record index: the precopy() record it is, or -1
  // The stopped read's tables, made (and their pages touched) by precopy().
  std::vector<std::vector<uint64_t>> scratch_stacks;
  std::vector<std::string> scratch_notes;
  // precopy()'s copies of the records, whether each was whole, and where it lies in the
  // table (in the order the table is visited); the next one to compare.
  std::vector<GoroutineRecord> pre_records;
  std::vector<bool> pre_torn;
  std::vector<uint64_t> pre_positions;
  std::size_t pre_cursor = 0;
  uint64_t visit_pos = 0;  // for_each_record()'s place in the table: chunk * kGoroutinesPerChunk + slot
  std::unique_ptr<PopulatedBuffer> pre_copies;
  std::vector<const ProcessMemory::Range*> pre_used;

  // The parked goroutines' stack copies live_stacks() made, and whose they are;
  // reused: the goroutines whose walked stack came from ReadOptions::parked_stacks.
  std::unique_ptr<PopulatedBuffer> stack_copies;
  std::vector<bool> reused;
  std::vector<ProcessMemory::Range> ranges;
  std::vector<std::size_t> owner;

  // walk_parked() walks the frame pointers of the copies live_stacks() made: after the
  // target is released, since the copies are all it needs.
  void walk_parked() {
    for (std::size_t k = 0; k < ranges.size(); ++k) {
      std::size_t i = owner[k];
      if (!ranges[k].ok) {
        notes[i] = "stack unreadable";
        continue;
      }
      const char* copy = ranges[k].out;
      uint64_t rip = 0, rbp = 0;
      std::memcpy(&rip, copy + kContextRip, 8);
      std::memcpy(&rbp, copy + kContextRbp, 8);
      // The first address is the return address into the switch: a return address too.
      stacks[i] = walk_frame_pointers(rip, rbp, copy, ranges[k].address, ranges[k].size, opt.max_frames);
    }
    remember_parked();
    stack_copies.reset();
    wipe(ranges);  // saved contexts: pointers into the goroutines' stacks
    owner = {};
  }

  // remember_parked() leaves in ReadOptions::parked_stacks the walked stacks of this
  // read's parked goroutines (whole records only), and nothing of the others: those
  // that ran, ended or were never seen again.
  void remember_parked() {
    ParkedStacks* cache = opt.parked_stacks && !opt.memory && live ? opt.parked_stacks.get() : nullptr;
    if (cache == nullptr) return;
    std::unordered_map<uint64_t, ParkedStacks::Entry> next;
    for (std::size_t i = 0; i < records.size(); ++i) {
      const GoroutineRecord& r = records[i];
      bool walked = i < reused.size() && (reused[i] || (notes[i].empty() && !stacks[i].empty()));
      if (r.state == GoroutineState::kRunning || torn[i] || !walked) continue;
      next[r.id] = ParkedStacks::Entry{r.seq.load(std::memory_order_relaxed), r.context, stacks[i]};
    }
    std::lock_guard<std::mutex> lk(cache->mu);
    cache->by_id = std::move(next);
  }

  // resident_pieces() splits the root regions into their runs of pages that are in
  // memory or swapped out (pagemap bits 63 and 62); others are kept whole. If pagemap
  // cannot be read, everything is kept.
  std::vector<MemoryRegion> resident_pieces(const std::vector<MemoryRegion>& in) {
    int fd = ::open(("/proc/" + std::to_string(mem_pid ? mem_pid : snap.pid) + "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return in;
    constexpr uint64_t kPage = 4096, kPresent = 1ull << 63, kSwapped = 1ull << 62;
    std::vector<MemoryRegion> out;
    std::vector<uint64_t> entries;
    for (const MemoryRegion& r : in) {
      // Heaps stay whole: their walk needs every chunk header (glibc's thread heaps are
      // anonymous and 64 MiB-aligned).
      bool heap_candidate = r.name.empty() && r.start % (64ull << 20) == 0;
      if (r.kind != RegionKind::kRoot || heap_candidate || r.start % kPage || r.end % kPage) {
        out.push_back(r);
        continue;
      }
      // In batches: a sanitizer's shadow mapping spans terabytes.
      constexpr std::size_t kBatch = 1 << 16;
      uint64_t run_start = 0;
      bool in_run = false;
      bool failed = false;
      auto close_run = [&](uint64_t end) {
        if (!in_run) return;
        MemoryRegion piece = r;
        piece.start = run_start;
        piece.end = end;
        out.push_back(piece);
        in_run = false;
      };
      std::size_t before = out.size();
      for (uint64_t at = r.start; at < r.end && !failed;) {
        std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(kBatch, (r.end - at) / kPage));
        entries.resize(n);
        ssize_t got = pread(fd, entries.data(), n * 8, static_cast<off_t>(at / kPage * 8));
        if (got != static_cast<ssize_t>(n * 8)) {
          failed = true;
          break;
        }
        for (std::size_t i = 0; i < n; ++i) {
          bool there = (entries[i] & (kPresent | kSwapped)) != 0;
          uint64_t page = at + i * kPage;
          if (there && !in_run) {
            in_run = true;
            run_start = page;
          } else if (!there) {
            close_run(page);
          }
        }
        at += n * kPage;
      }
      if (failed) {
        out.resize(before);
        out.push_back(r);
        continue;
      }
      close_run(r.end);
    }
    ::close(fd);
    return out;
  }

  // capture_memory() copies what the leak analysis scans, while the target is stopped:
  // it gathers the facts, plan_capture() (memory_image.h) says what to copy, and this
  // copies it.
  void capture_memory() {
    CaptureFacts facts;
    if (!capture_facts(facts)) {
      snap.warnings.push_back("could not read the target's memory map; leaks are not analysed");
      return;
    }
    CapturePlan plan = plan_capture(facts);
    auto img = std::make_shared<MemoryImage>();
    img->stopped = stopped != nullptr && stopped->complete();
    img->unreadable = std::move(plan.unreadable);
    copy_regions(resident_pieces(plan.regions), *img);
    img->register_words = std::move(plan.register_words);
    img->threads = std::move(plan.threads);
    if (mem_pid) forked_away(*img);
    // A pointer handed through a pipe lives only in the pipe's buffer until it is read.
    PipeScan pipes = stop_pipes ? std::move(*stop_pipes) : pending_pipe_bytes(snap.pid, kMaxPipeBytes);
    img->pipes = std::move(pipes.pipes);
    for (std::string& n : pipes.notes) img->unreadable.push_back(std::move(n));
    // Closures inline in the goroutine descriptors lie in the arena, which this process
    // has mapped too: they are read from there, not from the target (or from what was
    // copied of it while the target was stopped).
    if (!mem_pid) {
      // Read stopped: copied now, before the target goes on.
      stop_closures.clear();
      stop_closure_at.clear();
      for (const GoroutineRecord& r : records) {
        std::size_t at = stop_closures.size();
        if (take_closure(r)) stop_closure_at.emplace_back(r.closure, at);
      }
    }
    if (!std::is_sorted(stop_closure_at.begin(), stop_closure_at.end())) std::sort(stop_closure_at.begin(), stop_closure_at.end());
    pending_closures.clear();
    for (MemoryRegion& c : plan.arena_closures) {
      auto it = std::lower_bound(stop_closure_at.begin(), stop_closure_at.end(), std::make_pair(c.start, std::size_t{0}));
      c.data = it != stop_closure_at.end() && it->first == c.start && it->second + (c.end - c.start) <= stop_closures.size()
                   ? stop_closures.data() + it->second
                   : nullptr;
      if (c.data) pending_closures.push_back(c);
    }
    pending_image = std::move(img);
  }

  // capture_facts() gathers what plan_capture() decides from; false when the target's
  // memory map cannot be read.
  bool capture_facts(CaptureFacts& f) {
    std::string maps_text = mem_pid ? stop_maps : maps_of(snap.pid);
    if (maps_text.empty()) return false;
    f.maps = parse_maps(maps_text);
    f.arena_lo = h().mapped_at;
    f.arena_hi = h().mapped_at + h().mapped_bytes;
    if (h().mapped_at != 0) f.excluded.emplace_back(f.arena_lo, f.arena_hi);
    uint64_t slabs_off = h().stack_slabs_offset.load(std::memory_order_acquire);
    uint32_t nslabs = h().stack_slab_count.load(std::memory_order_acquire);
    const uint64_t* slabs = slabs_off ? file.at<uint64_t>(slabs_off, std::size_t{nslabs} * 8) : nullptr;
    for (uint32_t i = 0; slabs && i < nslabs; ++i) f.excluded.emplace_back(slabs[i], slabs[i] + h().stack_slab_bytes);
    for (uint32_t w = 0; w < kMaxRings; ++w) {
      if (h().worker_tid[w].load(std::memory_order_acquire) != 0 && h().worker_stack_hi[w] > h().worker_stack_lo[w]) {
        f.excluded.emplace_back(h().worker_stack_lo[w], h().worker_stack_hi[w]);
      }
    }
    std::vector<bool> busy(kMaxRings, false);  // workers that run a goroutine
    for (const GoroutineRecord& r : records) {
      if (r.closure != 0) f.closures.push_back({r.id, r.closure, r.closure_size});
      if (r.state != GoroutineState::kRunning && !switching(r)) continue;
      bool on_worker = r.worker >= 0 && r.worker < static_cast<int>(kMaxRings);
      if (on_worker) busy[r.worker] = true;
      int tid = on_worker ? h().worker_tid[r.worker].load() : 0;
      f.running.push_back({r.id, r.stack_lo, r.stack_hi, r.context, r.state != GoroutineState::kRunning,
                           stopped && tid ? stopped->regs(tid) : nullptr});
    }
    if (!stopped) return true;
    std::vector<pid_t> idle_workers;
    for (uint32_t w = 0; w < kMaxRings; ++w) {
      int tid = h().worker_tid[w].load(std::memory_order_acquire);
      if (tid != 0 && !busy[w]) idle_workers.push_back(tid);
    }
    for (pid_t tid : stopped->threads()) {
      bool idle = std::find(idle_workers.begin(), idle_workers.end(), tid) != idle_workers.end();
      f.threads.push_back({tid, stopped->regs(tid), idle});
    }
    return true;
  }

  // copy_regions() copies the regions into one buffer the image owns; a root or heap
  // region that cannot be read is named in the image's unreadable list.
  void copy_regions(std::vector<MemoryRegion> regions, MemoryImage& img) {
    std::size_t total = 0;
    for (const MemoryRegion& r : regions) total += r.end - r.start;
    auto buf = std::make_shared<PopulatedBuffer>(total);
    std::vector<ProcessMemory::Range> reads;
    reads.reserve(regions.size());
    std::size_t off = 0;
    for (MemoryRegion& r : regions) {
      r.data = buf->data() + off;
      reads.push_back({r.start, r.end - r.start, buf->data() + off});
      off += r.end - r.start;
    }
    ProcessMemory(mem_pid ? mem_pid : snap.pid, mem_pid != 0).read_all(reads);
    for (std::size_t k = 0; k < regions.size(); ++k) {
      if (reads[k].ok) {
        img.regions.push_back(regions[k]);
      } else if (regions[k].kind == RegionKind::kRoot || regions[k].kind == RegionKind::kHeap) {
        img.unreadable.push_back(unreadable_text(regions[k]));
      }
    }
    img.buffers.push_back(buf);
  }

  // take_closure() appends to stop_closures the closure of r that lies in the arena;
  // false when it has none there.
  bool take_closure(const GoroutineRecord& r) {
    uint64_t lo = h().mapped_at, hi = h().mapped_at + h().mapped_bytes;
    if (r.closure < lo || r.closure_size == 0 || r.closure_size > hi - r.closure) return false;
    const char* bytes = file.at<char>(r.closure - lo, r.closure_size);
    if (!bytes) return false;
    stop_closures.insert(stop_closures.end(), bytes, bytes + r.closure_size);
    return true;
  }

  // precopy_closures() copies, before the stop, the closures of the records precopy()
  // took, with room for those of goroutines started meanwhile.
  void precopy_closures() {
    std::size_t bytes = 0;
    for (const GoroutineRecord& r : records) bytes += r.closure_size < (1u << 20) ? r.closure_size : 0;
    stop_closures.reserve(bytes + bytes / 8 + 4096);
    stop_closure_at.reserve(records.size());
    pre_closure.assign(records.size(), -1);
    for (std::size_t i = 0; i < records.size(); ++i) {
      std::size_t at = stop_closures.size();
      if (torn[i] || !take_closure(records[i])) continue;
      pre_closure[i] = static_cast<int64_t>(stop_closure_at.size());
      stop_closure_at.emplace_back(records[i].closure, at);
    }
  }
  std::vector<int64_t> pre_closure;  // by precopy()'s record index: its entry in stop_closure_at, or -1

  // fork_helper() is the thread id of the target's fork helper; 0 when it has none (a
  // sanitizer build), or when it runs in another pid namespace (the copy would answer
  // with its pid there): the leak analysis then reads it stopped.
  pid_t fork_helper() {
    if (static_cast<pid_t>(h().pid) != snap.pid) return 0;
    return file.live_header().fork_helper_tid.load(std::memory_order_acquire);
  }

  // make_copy() has the stopped target fork the frozen copy its memory is then read
  // from, takes what the copy does not freeze, and lets the target go on. Left as it
  // was (the target stopped, mem_pid 0) when no copy can be made.
  void make_copy() {
    pid_t helper = fork_helper();
    if (helper <= 0) return;
    stop_maps = maps_of(snap.pid);
    if (stop_maps.empty()) return;
    auto c = std::make_unique<ForkCopy>(snap.pid, helper, file.live_header());
    if (c->pid() == 0) {
      snap.warnings.push_back("no frozen copy of the process could be read (" + c->why() +
                              "): it stayed stopped while its memory was copied");
      return;
    }
    stop_pipes = pending_pipe_bytes(snap.pid, kMaxPipeBytes);
    // The closures: those of goroutines whose record has not changed since precopy()
    // copied them (a closure is written before its goroutine's record, and a descriptor
    // taken again is written again), the others now.
    std::vector<std::pair<uint64_t, std::size_t>> now;
    now.reserve(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      int64_t k = i < from_pre.size() ? from_pre[i] : -1;
      int64_t c = k >= 0 && static_cast<std::size_t>(k) < pre_closure.size() ? pre_closure[static_cast<std::size_t>(k)] : -1;
      if (c >= 0) {
        now.push_back(stop_closure_at[static_cast<std::size_t>(c)]);
      } else if (std::size_t at = stop_closures.size(); take_closure(records[i])) {
        now.emplace_back(records[i].closure, at);
      }
    }
    stop_closure_at = std::move(now);
    stop_running.emplace();
    for_each_running([&](std::size_t i, std::vector<uint64_t> pcs, std::string note) {
      stop_running->push_back({i, std::move(pcs), std::move(note)});
    });
    copy = std::move(c);
    mem_pid = copy->pid();
    snap.memory_from_copy = true;
    stopped->resume();
  }

  // forked_away() drops from the image what the copy does not hold as the target did:
  // mappings wiped on fork read as zeros there. (Mappings not copied on fork cannot be
  // read from it, and are already named unreadable.)
  void forked_away(MemoryImage& img) {
    auto wiped = wiped_on_fork(mem_pid);
    if (wiped.empty()) return;
    std::vector<MemoryRegion> kept;
    for (MemoryRegion& r : img.regions) {
      bool gone = false;
      for (auto [lo, hi] : wiped) gone = gone || (r.start < hi && lo < r.end);
      if (!gone) {
        kept.push_back(std::move(r));
      } else if (r.kind == RegionKind::kRoot || r.kind == RegionKind::kHeap) {
        img.unreadable.push_back(unreadable_text(r) + " (wiped in the fork made to read it)");
      }
    }
    img.regions = std::move(kept);
  }

  // finish_memory() completes the image once the target runs again: the parked
  // goroutines' stack copies and the closures read from the arena join it.
  std::shared_ptr<MemoryImage> pending_image;
  std::vector<MemoryRegion> pending_closures;
  void finish_memory() {
    if (!pending_image) return;
    std::shared_ptr<MemoryImage> img = std::move(pending_image);
    std::vector<MemoryRegion> arena_closures = std::move(pending_closures);
    img->regions.reserve(img->regions.size() + arena_closures.size() + ranges.size());
    // Copied: the arena file is unmapped once the snapshot is read.
    std::size_t closure_bytes = 0;
    for (const MemoryRegion& c : arena_closures) closure_bytes += c.end - c.start;
    auto cbuf = std::make_shared<std::vector<char>>(closure_bytes);
    std::size_t coff = 0;
    for (MemoryRegion c : arena_closures) {
      std::memcpy(cbuf->data() + coff, c.data, c.end - c.start);
      c.data = cbuf->data() + coff;
      coff += c.end - c.start;
      img->regions.push_back(c);
    }
    img->buffers.push_back(cbuf);
    // Parked goroutines' stacks: the copies live_stacks() made, from the saved context
    // (which holds the callee-saved registers) up.
    for (std::size_t k = 0; k < ranges.size(); ++k) {
      if (!ranges[k].ok || switching(records[owner[k]])) continue;  // read like a running one
      img->regions.push_back({ranges[k].address, ranges[k].address + ranges[k].size, RegionKind::kStack,
                              records[owner[k]].id, "", ranges[k].out, {}});
    }
    if (stack_copies) img->buffers.push_back(std::shared_ptr<PopulatedBuffer>(std::move(stack_copies)));
    classify_stacks(*img);
    std::stable_sort(img->regions.begin(), img->regions.end(), [](const MemoryRegion& a, const MemoryRegion& b) {
      bool am = a.kind == RegionKind::kRoot || a.kind == RegionKind::kHeap;
      bool bm = b.kind == RegionKind::kRoot || b.kind == RegionKind::kHeap;
      if (am != bm) return am;
      return a.start < b.start;
    });
    snap.memory = std::move(img);
  }

  // switching() says whether a goroutine recorded as not running is still on its
  // worker: it has parked, but the next context has not yet published its saved
  // context (finish_switch() in core/scheduler.cc clears the worker then).
  static bool switching(const GoroutineRecord& r) {
    return r.state != GoroutineState::kRunning && r.worker >= 0 && r.worker < static_cast<int>(kMaxRings);
  }

  // classify_stacks() tells the live, dead and unknown words of every parked
  // goroutine's stack apart (frame_roots.h), so that the leak analysis does not take a
  // handle that went out of scope for a root. 100,000 goroutines share few pcs: the
  // classification of each pc is worked out once.
  void classify_stacks(MemoryImage& img) {
    if (self) return;
    FrameRoots fr(snap.pid);
    if (!fr.ok()) {
      img.roots_note = "the program's debug information or code could not be read: every stack word is a root";
      return;
    }
    std::unordered_map<uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < records.size(); ++i) index[records[i].id] = i;
    // A stack that a stopped thread runs on (a plain thread's, or a running goroutine's
    // on its worker) is classified from the thread's registers. A callee-saved register
    // no frame reads before overwriting it is dead: its word is dropped from the
    // register roots (register_words holds each thread's registers in turn).
    constexpr std::size_t kRegWords = sizeof(user_regs_struct) / 8;
    constexpr std::array<std::size_t, 5> kSavedAt = {
        offsetof(user_regs_struct, rbx) / 8, offsetof(user_regs_struct, r12) / 8, offsetof(user_regs_struct, r13) / 8,
        offsetof(user_regs_struct, r14) / 8, offsetof(user_regs_struct, r15) / 8};
    bool words_match = img.register_words.size() == img.threads.size() * kRegWords;
    auto from_registers = [&](MemoryRegion& r, int tid) {
      for (std::size_t i = 0; i < img.threads.size(); ++i) {
        const MemoryImage::ThreadRegisters& t = img.threads[i];
        if (t.tid != tid || t.regs.rsp < r.start || t.regs.rsp >= r.end) continue;
        r.roots = fr.with_state(fr.classify_thread(r, t.regs), r);
        for (std::size_t k = 0; r.roots && words_match && k < kSavedAt.size(); ++k) {
          if (r.roots->dead_registers & (1u << k)) img.register_words[i * kRegWords + kSavedAt[k]] = 0;
        }
      }
    };
    for (MemoryRegion& r : img.regions) {
      if (r.kind != RegionKind::kStack || !r.data) continue;
      auto it = index.find(r.goroutine);
      if (it == index.end() || switching(records[it->second])) continue;
      const GoroutineRecord& g = records[it->second];
      if (g.state != GoroutineState::kRunning) {
        r.roots = fr.with_state(fr.classify_stack(r), r);
      } else if (g.worker >= 0 && g.worker < static_cast<int>(kMaxRings)) {
        from_registers(r, h().worker_tid[g.worker].load(std::memory_order_acquire));
      }
    }
    for (MemoryRegion& r : img.regions) {
      if (r.kind == RegionKind::kRoot && r.thread != 0 && r.data) from_registers(r, r.thread);
    }
    fr.empty_heap(img);
    img.slot_notes = fr.notes();
  }

  // Stacks of a dead process: the snapshot its crash handler left, if any.
  std::vector<std::vector<uint64_t>> dead_stacks(std::vector<std::string>& notes, std::vector<bool>& first_is_pc) {
    std::size_t n = records.size();
    std::vector<std::vector<uint64_t>> stacks(n);
    notes.assign(n, "the process is gone and left no stack for it");
    first_is_pc.assign(n, false);
    std::unordered_map<uint64_t, std::size_t> index;
    for (std::size_t i = 0; i < n; ++i) index[records[i].id] = i;
    uint64_t off = h().crash_stacks_offset.load(std::memory_order_acquire);
    uint64_t bytes = h().crash_stacks_bytes.load(std::memory_order_relaxed);
    const char* p = off ? file.at<char>(off, bytes) : nullptr;
    for (uint64_t at = 0; p && at + sizeof(CrashStack) <= bytes;) {
      CrashStack cs;
      std::memcpy(&cs, p + at, sizeof cs);
      at += sizeof cs;
      if (cs.nframes > kMaxStackFrames || at + cs.nframes * 8 > bytes) break;
      auto it = index.find(cs.goroutine);
      if (it != index.end()) {
        stacks[it->second].resize(cs.nframes);
        if (cs.nframes > 0) std::memcpy(stacks[it->second].data(), p + at, cs.nframes * 8);
        notes[it->second].clear();
      }
      at += cs.nframes * 8;
    }
    if (snap.crash) {
      auto it = index.find(snap.crash->goroutine);
      if (it != index.end()) notes[it->second].clear();  // its stack is the crash stack
    }
    return stacks;
  }

  // Raw stacks, read while the target is stopped; symbolized after it runs again.
  std::vector<std::string> notes;
  std::vector<bool> first_is_pc;
  std::vector<std::vector<uint64_t>> stacks;

  void read_stacks() {
    if (!opt.stacks) {
      stacks.resize(records.size());
      notes.assign(records.size(), "stacks not read");
      first_is_pc.assign(records.size(), false);
    } else {
      stacks = live ? live_stacks(notes, first_is_pc) : dead_stacks(notes, first_is_pc);
    }
  }

  // Goroutines parked at the same place share one symbolized Stack.
  struct StackKey {
    const std::vector<uint64_t>* pcs;
    bool first_is_pc;
    bool operator==(const StackKey& o) const { return first_is_pc == o.first_is_pc && *pcs == *o.pcs; }
  };
  struct StackKeyHash {
    std::size_t operator()(const StackKey& k) const {
      std::size_t h = k.first_is_pc;
      for (uint64_t pc : *k.pcs) h = h * 1000003u ^ std::hash<uint64_t>()(pc);
      return h;
    }
  };
  std::unordered_map<StackKey, Stack, StackKeyHash> stack_cache;

  Stack symbolized(const std::vector<uint64_t>& pcs, bool first_is_pc) {
    StackKey key{&pcs, first_is_pc};
    auto it = stack_cache.find(key);
    if (it != stack_cache.end()) return it->second;
    Stack st(symbols->stack(pcs, first_is_pc));
    stack_cache.emplace(key, st);
    return st;
  }

  void build_goroutines() {
    snap.goroutines.reserve(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      const GoroutineRecord& r = records[i];
      Goroutine g;
      g.id = r.id;
      g.parent_id = r.parent_id;
      g.state = r.state;
      g.wait_reason = r.wait_reason;
      g.wait_object = r.wait_object;
      g.worker = r.worker;
      g.unparked_by = r.unparked_by;
      g.recovered_panics = r.recovered_panics;
      g.create_pc = r.create_pc;
      g.torn = torn[i];
      g.closure = r.closure;
      g.closure_size = r.closure_size;
      g.stack_lo = r.stack_lo;
      g.stack_hi = r.stack_hi;
      g.wait_count = r.wait_count;
      g.group = r.group;
      g.labels = parse_labels(r.labels);
      if ((r.state == GoroutineState::kWaiting || r.state == GoroutineState::kSyscall) && r.wait_since_ns > 0) {
        g.wait_ns = std::max<int64_t>(0, reference_ns - r.wait_since_ns);
      }
      if (r.created_ns > 0) g.age_ns = std::max<int64_t>(0, reference_ns - r.created_ns);
      g.crashed = snap.crash && snap.crash->goroutine == r.id && r.id != 0;
      if (g.crashed) g.state = GoroutineState::kRunning;
      if (symbols) {
        g.stack = symbolized(stacks[i], first_is_pc[i]);
        if (r.create_pc) {
          // A goroutine the runtime made itself (run()'s main goroutine) has no
          // creation site of the user's, like Go's goroutine 1.
          Frame c = symbols->creation(r.create_pc);
          if (!c.runtime) g.created_by = c;
        }
      } else {
        std::vector<Frame> frames;
        for (uint64_t pc : stacks[i]) frames.push_back(Frame{pc, "", "", 0, 0, "", false});
        g.stack = std::move(frames);
      }
      if (g.crashed && g.stack.empty() && snap.crash) g.stack = snap.crash->stack;
      g.stack_note = notes[i];
      if (g.crashed) g.stack_note.clear();
      snap.goroutines.push_back(std::move(g));
    }
    std::sort(snap.goroutines.begin(), snap.goroutines.end(),
              [](const Goroutine& a, const Goroutine& b) { return a.id < b.id; });
    for (std::size_t k = 0; k < snap.recovered.size(); ++k) {
      uint64_t id = snap.recovered[k].goroutine;
      auto it = std::lower_bound(snap.goroutines.begin(), snap.goroutines.end(), id,
                                 [](const Goroutine& g, uint64_t x) { return g.id < x; });
      if (id != 0 && it != snap.goroutines.end() && it->id == id) it->recovered.push_back(static_cast<uint32_t>(k));
    }
  }

  void run() {
    read_header();
    bool exited = snap.state == ProcessState::kExited || snap.state == ProcessState::kCrashed;
    live = self || (!exited && same_process(snap.pid, h(), file.owner()));
    snap.source = self ? Source::kSelf : live ? Source::kLiveProcess : Source::kDeadProcess;
    if (live && !self && opt.consistent && opt.stacks && !opt.counts_only) {
      // A dump's records and stacks are copied before the stop, and the records for a
      // leak analysis that reads a frozen copy; one that stays stopped needs the whole
      // memory from one instant, and a cache of walked stacks (gleak top) has its own.
      bool forks = opt.memory && opt.fork_copy && fork_helper() > 0;
      if (!opt.parked_stacks && (!opt.memory || forks)) precopy(!opt.memory);
      try {
        if (!file.lock_for_stop(30000)) {
          throw InspectError(ErrorCode::kIo, "another gleak kept process " + std::to_string(snap.pid) + " stopped for 30 s");
        }
        // The leak analysis reads a copy the runtime's fork helper makes: it runs on.
        stopped = std::make_unique<StopTheWorld>(snap.pid, forks ? fork_helper() : 0);
        snap.consistent = stopped->complete();
        if (!stopped->complete()) snap.warnings.push_back("threads kept starting while the process was stopped; some may have run");
      } catch (const InspectError& e) {
        snap.warnings.push_back(std::string(e.what()) + "; reading it while it runs");
      }
    }
    // What the process allocated since the file was opened: its tables as they are now.
    if (live) {
      file.refresh();
      read_header();
    }
    if (h().flags.load(std::memory_order_relaxed) & kArenaIncomplete) {
      snap.arena_incomplete = true;
      snap.warnings.push_back(
          "the arena is incomplete: its file system was full, and goroutines created since are not in it");
    }
    if (opt.counts_only) {
      count_goroutines();
      read_totals();
      snap.taken_monotonic_ns = live ? clock_ns(CLOCK_MONOTONIC_COARSE) : 0;
      return;
    }
    read_goroutines();
    if (opt.memory && opt.fork_copy && live && !self && opt.stacks && stopped && stopped->complete()) make_copy();
    read_stacks();
    if (opt.memory && live && !self && opt.stacks) capture_memory();
    copy.reset();  // everything is read from it: it ends
    // Everything the target's memory is needed for is read: let it go now, before the
    // slow part (symbolizing).
    if (stopped) snap.stopped_ns = stopped->stopped_ns();
    stopped.reset();
    finish_memory();
    walk_parked();
    read_totals();
    if (opt.events) read_events();
    if (live) {
      reference_ns = clock_ns(CLOCK_MONOTONIC_COARSE);
    } else {
      // A dead process: its wait times end when it died — the crash, or else its
      // last recorded event.
      reference_ns = 0;
      for (const Event& e : snap.events) reference_ns = std::max(reference_ns, e.time_ns);
    }
    if (opt.symbolize) {
      if (live && opt.symbols) {
        symbols = opt.symbols;
      } else if (live) {
        symbols = std::make_shared<Symbols>(snap.pid);
      } else {
        uint32_t size = h().maps_size.load(std::memory_order_acquire);
        const char* maps = file.at<char>(h().maps_offset, std::min<uint32_t>(size, kMapsBytes));
        symbols = std::make_shared<Symbols>(maps ? std::string(maps, size) : std::string());
      }
      if (!symbols->ok()) snap.warnings.push_back("could not read the program's symbols");
    }
    read_crash();
    read_recovered();
    if (!live && snap.crash) reference_ns = std::max(reference_ns, snap.crash->time_ns);
    snap.taken_monotonic_ns = reference_ns;
    build_goroutines();
    count_snapshot();
    if (opt.objects) read_objects();
    if (!live && snap.state == ProcessState::kRunning) {
      snap.warnings.push_back("the process is gone without a crash record (killed?); state as last recorded");
    }
    long torn_count = std::count(torn.begin(), torn.end(), true);
    if (torn_count > 0) {
      snap.warnings.push_back(std::to_string(torn_count) + " goroutine record(s) were being updated and may be inconsistent");
    }
  }
};

Snapshot read_arena(ArenaFile& file, const ReadOptions& opt, bool self, int host_pid = 0) {
  Snapshot snap;
  Reader r(file, opt, snap);
  r.self = self;
  r.host_pid = host_pid;
  r.run();
  return snap;
}

}  // namespace

Snapshot read_pid(int pid, const ReadOptions& opt) {
  if (pid <= 0) throw InspectError(ErrorCode::kNoSuchProcess, "invalid pid " + std::to_string(pid));
  std::string path = find_arena(pid);
  if (path.empty()) {
    if (!process_exists(pid)) {
      throw InspectError(ErrorCode::kNoSuchProcess, "no process " + std::to_string(pid) + " and no arena it left behind");
    }
    struct stat st;
    std::string proc = "/proc/" + std::to_string(pid);
    if (stat(proc.c_str(), &st) == 0 && st.st_uid != getuid() && getuid() != 0) {
      throw InspectError(ErrorCode::kPermission, "process " + std::to_string(pid) + " belongs to another user");
    }
    throw InspectError(ErrorCode::kNotGleak,
                       "process " + std::to_string(pid) + " is not a gleak process (it has no probe arena)");
  }
  ArenaFile file = ArenaFile::open_discovered(path, getuid() == 0 ? owner_of_dir(path) : getuid());
  // A process in a container knows itself, and names its arena, by its pid there.
  if (int own = namespace_pid(pid); file.header().pid != own) {
    throw InspectError(ErrorCode::kCorrupt, path + ": names pid " + std::to_string(file.header().pid) + ", not " +
                                                std::to_string(own));
  }
  return read_arena(file, opt, false, pid);
}

Snapshot read_file(const std::string& path, const ReadOptions& opt) {
  ArenaFile file = ArenaFile::open(path);
  return read_open_file(file, opt);
}

Snapshot read_open_file(ArenaFile& file, const ReadOptions& opt) {
  Snapshot s = read_arena(file, opt, opt.host_pid == 0 && file.header().pid == getpid(), opt.host_pid);
  if (s.source == Source::kDeadProcess) s.source = Source::kFile;
  return s;
}

std::shared_ptr<Symbols> make_symbols(int pid) { return std::make_shared<Symbols>(pid); }

Snapshot read_self(const ReadOptions& opt) {
  std::string path = find_arena(getpid());
  if (path.empty()) throw InspectError(ErrorCode::kNotGleak, "this process has no probe arena (is the runtime started?)");
  ArenaFile file = ArenaFile::open_discovered(path, getuid());
  ReadOptions o = opt;
  o.consistent = false;
  return read_arena(file, o, true);
}

}  // namespace gleak::inspector
