// inspector/snapshot.h — one consistent picture of a gleak process: what every reader
// produces and every analysis and report consumes.
//
// A Snapshot is plain data: it holds no handle on the process it came from, so it can
// be built from a live pid, from the arena file a dead process left behind, or by hand
// in a test.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "arena/layout.h"

namespace gleak::inspector {

using arena::GoroutineState;
using arena::ObjectKind;
using arena::ProcessState;
using arena::WaitReason;

// Frame is one symbolized stack frame. An inlined call is a frame of its own, with the
// same pc as the frame it was inlined into.
struct Frame {
  uint64_t pc = 0;
  std::string function;  // demangled; "" when unknown
  std::string file;      // "" when there is no line information
  int line = 0;
  uint64_t offset = 0;   // pc minus the function's start; 0 for inlined frames
  std::string module;    // ELF object containing pc
  bool runtime = false;  // a frame of gleak's own machinery (hidden unless asked)
};

// Stack is an immutable, shared list of frames, innermost first. Goroutines parked at
// the same place share one: a process with 100,000 goroutines and ten distinct stacks
// holds ten lists, not 100,000.
class Stack {
 public:
  Stack() = default;
  Stack(std::vector<Frame> frames) : p_(std::make_shared<const std::vector<Frame>>(std::move(frames))) {}
  Stack(std::initializer_list<Frame> frames) : Stack(std::vector<Frame>(frames)) {}

  const std::vector<Frame>& frames() const { return p_ ? *p_ : empty_frames(); }
  std::vector<Frame>::const_iterator begin() const { return frames().begin(); }
  std::vector<Frame>::const_iterator end() const { return frames().end(); }
  std::size_t size() const { return frames().size(); }
  bool empty() const { return frames().empty(); }
  const Frame& operator[](std::size_t i) const { return frames()[i]; }
  const Frame& front() const { return frames().front(); }
  const Frame& back() const { return frames().back(); }
  // push_back() appends, copying the frames first if they are shared.
  void push_back(Frame f) {
    auto copy = std::make_shared<std::vector<Frame>>(frames());
    copy->push_back(std::move(f));
    p_ = std::move(copy);
  }
  // identity() is the same for two Stacks that share their frames.
  const void* identity() const { return p_.get(); }

 private:
  static const std::vector<Frame>& empty_frames() {
    static const std::vector<Frame> none;
    return none;
  }
  std::shared_ptr<const std::vector<Frame>> p_;
};

struct MemoryImage;

struct Goroutine {
  uint64_t id = 0;
  uint64_t parent_id = 0;
  GoroutineState state = GoroutineState::kFree;
  WaitReason wait_reason = WaitReason::kNone;
  uint64_t wait_object = 0;    // address of the object waited on
  int64_t wait_ns = -1;        // how long it has waited (-1: not waiting)
  int worker = -1;             // worker running it
  uint64_t unparked_by = 0;
  uint32_t recovered_panics = 0;
  int64_t age_ns = -1;         // time since it was created
  uint64_t create_pc = 0;
  std::optional<Frame> created_by;  // the frame of the go() call
  Stack stack;                 // innermost first
  std::string stack_note;      // why the stack is missing or partial, if it is
  bool torn = false;           // its record kept changing or a writer died mid-update
  bool crashed = false;        // the goroutine that killed the process
  bool leaked = false;         // proven leaked (set from a LeakAnalysis: mark_leaked())
  uint64_t closure = 0;        // its closure's address and size (what it captured)
  uint64_t closure_size = 0;
  uint64_t stack_lo = 0;       // its stack slot (0: none yet)
  uint64_t stack_hi = 0;
  uint32_t wait_count = 0;     // select: number of cases at wait_object
  uint32_t group = 0;          // inherited tag (gleak/detail/group.h); 0: none
  std::vector<std::pair<std::string, std::string>> labels;  // gleak::set_label(), in order
  std::vector<uint32_t> recovered;  // its recovered panics still in the arena's ring:
                                    // indices into Snapshot::recovered, oldest first
};

// RecoveredPanic is a panic that gleak::recover() stopped, from the arena's ring of the
// most recent ones (arena::kRecoverRecords).
struct RecoveredPanic {
  uint64_t index = 0;          // how many panics the process had recovered before it
  uint64_t goroutine = 0;      // 0: a plain thread
  int64_t time_ns = 0;         // CLOCK_MONOTONIC_COARSE
  std::string message;         // the panic value, maybe cut (truncated)
  bool truncated = false;
  std::string type;            // C++ type when it was not a gleak::Panic
  Stack stack;                 // at the throw, innermost first (empty when not known)
  std::optional<Frame> thrown_at;     // the user's frame that raised it
  std::optional<Frame> recovered_in;  // the user's frame that called recover()
  uint64_t recover_pc = 0;
};

struct Object {
  uint64_t id = 0;
  ObjectKind kind = ObjectKind::kFree;
  uint64_t address = 0;
  uint64_t creator = 0;
  uint64_t create_pc = 0;
  std::optional<Frame> created_at;
  uint64_t word0 = 0;  // see arena::ObjectRecord
  uint64_t word1 = 0;
  uint32_t flags = 0;
};

struct Event {
  int64_t time_ns = 0;
  int worker = -1;  // -1: a plain thread
  arena::EventKind kind = arena::EventKind::kSpawn;
  uint64_t goroutine = 0;
  uint64_t arg = 0;
  uint32_t aux = 0;
  uint64_t position = 0;  // its index in its ring: the order its worker wrote it in
};

// Ancestor is one goroutine of the crashed goroutine's creation chain.
struct Ancestor {
  uint64_t goroutine = 0;
  uint64_t parent_id = 0;           // the goroutine that created it
  uint64_t create_pc = 0;
  std::optional<Frame> created_by;  // the frame of its go() call
};

struct Crash {
  uint64_t goroutine = 0;  // 0: a plain thread
  int signal = 0;
  int tid = 0;
  uint64_t fault_address = 0;
  std::string message;     // "panic: ..." / "fatal error: ..."
  std::string exception_type;
  Stack stack;
  int64_t time_ns = 0;     // CLOCK_MONOTONIC_COARSE
  // The creation chain the runtime recorded at the crash (chain_recorded): the crashed
  // goroutine's parent first, while they were alive; ancestor_gone is the first that
  // had exited (0: none). Without a recorded chain, reports follow the goroutines.
  bool chain_recorded = false;
  std::vector<Ancestor> ancestors;
  uint64_t ancestor_gone = 0;
};

// Totals are the process's counts since it started, as the runtime keeps them apart
// from its rings (arena::Ring::spawned/exited, ArenaHeader::recover_written): exact
// however much the rings have overwritten.
struct Totals {
  uint64_t goroutines_created = 0;
  uint64_t goroutines_exited = 0;
  uint64_t events_written = 0;      // every event the rings were given
  uint64_t events_overwritten = 0;  // of those, the ones no longer in a ring
  uint64_t panics_recovered = 0;
};

// GoroutineGroup is the goroutines of one state, wait reason and label set, counted.
struct GoroutineGroup {
  GoroutineState state = GoroutineState::kRunnable;
  WaitReason wait_reason = WaitReason::kNone;  // of waiting and syscall goroutines only
  std::vector<std::pair<std::string, std::string>> labels;
  uint64_t count = 0;
};

// GoroutineCounts are the goroutines counted rather than listed: what a listing or a
// metrics scrape needs, which ReadOptions::counts_only reads fast at a million
// goroutines (no Goroutine is built).
struct GoroutineCounts {
  uint64_t total = 0;    // neither free nor dead
  uint64_t blocked = 0;  // waiting or in a system call
  std::vector<GoroutineGroup> groups;  // by state, wait reason, labels
  // How long each blocked goroutine has waited, in no order (under counts_only only
  // for a live process: a dead one's "now" is not known without its events).
  std::vector<int64_t> wait_ns;
};

// Source says where a snapshot came from.
enum class Source { kSelf, kLiveProcess, kDeadProcess, kFile };

struct Snapshot {
  static constexpr int kSchemaVersion = 1;

  Source source = Source::kSelf;
  int pid = 0;
  std::string exe;
  std::string cmdline;
  std::string arena_path;
  ProcessState state = ProcessState::kRunning;
  bool at_exit = false;            // it was read in its exit check (`gleak run`)
  int procs = 0;
  int64_t start_realtime_ns = 0;
  int64_t taken_monotonic_ns = 0;  // when the snapshot was taken (or the process died)
  int64_t stopped_ns = 0;          // how long the target was stopped for it (0: not stopped)
  bool consistent = false;         // the target was stopped while it was read
  bool memory_from_copy = false;   // its memory was read from a frozen copy it forked (fork_copy.h)
  bool arena_incomplete = false;   // the arena's file system filled up: later goroutines are missing

  std::vector<Goroutine> goroutines;  // by id
  std::vector<Object> objects;        // by id
  std::vector<Event> events;          // oldest first
  uint64_t events_lost = 0;           // overwritten before they were read
  Totals totals;                      // always read, even without events
  GoroutineCounts counts;             // always filled; with counts_only, goroutines stays empty
  std::optional<Crash> crash;
  std::vector<RecoveredPanic> recovered;  // oldest first
  uint64_t recovered_lost = 0;            // recovered panics overwritten in the ring
  std::vector<std::string> warnings;  // what could not be read, and why
  // A copy of the target's memory for the leak analysis (ReadOptions::memory); null
  // when it was not asked for or cannot be had (a dead process, this process).
  std::shared_ptr<const MemoryImage> memory;

  // goroutine() is the goroutine with this id, or null.
  const Goroutine* goroutine(uint64_t id) const {
    auto it = std::lower_bound(goroutines.begin(), goroutines.end(), id,
                               [](const Goroutine& g, uint64_t x) { return g.id < x; });
    return it != goroutines.end() && it->id == id ? &*it : nullptr;
  }
};

}  // namespace gleak::inspector
