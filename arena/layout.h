// arena/layout.h — the probe arena: the one data format between the runtime that
// records and the inspector that reads.
//
// The runtime of each process writes one arena file, `<dir>/<pid>.arena`, where <dir>
// is $GLEAK_DIR or /dev/shm/gleak-<uid> (mode 0700; the file is mode 0600). It is
// created when the runtime starts, removed on normal exit (unless $GLEAK_KEEP_ARENA
// is set), and kept after a crash or a kill, so that `gleak dump` can read a live, hung or dead process alike.
//
// Everything is at a fixed offset from the start of the file, little-endian x86-64, and
// described by ArenaHeader: a reader checks kMagic and kVersion, then the record sizes,
// and refuses anything else. Records that change while the process runs are guarded by
// a seqlock: the writer makes `seq` odd, writes, then makes it even again (release); a
// reader copies the record and retries while `seq` is odd or changed. A writer that died
// mid-update leaves `seq` odd for good; readers give up after a bounded number of
// retries and report the record as torn instead of waiting.
//
// This header is shared by core/ and inspector/; it has no dependency on either.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace gleak::arena {

inline constexpr char kMagic[8] = {'G', 'L', 'E', 'A', 'K', 'A', 'R', '1'};
inline constexpr uint32_t kVersion = 6;

inline constexpr uint32_t kGoroutinesPerChunk = 1024;
inline constexpr uint32_t kObjectsPerChunk = 1024;
inline constexpr uint32_t kMaxChunks = 16384;       // per table: 16M goroutines, 16M objects
inline constexpr uint32_t kMaxRings = 257;          // one per worker, plus one for plain threads
inline constexpr uint32_t kExternalRing = 256;      // the ring of events from plain threads
inline constexpr uint32_t kRingEvents = 8192;       // events per ring (a power of two)
inline constexpr uint32_t kMaxCrashFrames = 128;
inline constexpr uint32_t kMaxAncestors = 32;      // creation chain kept in the crash record
inline constexpr uint32_t kMapsBytes = 65536;       // /proc/self/maps copy
inline constexpr uint32_t kRecoverRecords = 512;    // recovered panics kept (a ring)
inline constexpr uint32_t kRecoverFrames = 16;      // throw-site frames kept per recovered panic
inline constexpr uint32_t kLabelBytes = 64;         // a goroutine's labels, as text (with its NUL)

// ProcessState is the life of the process that owns the arena.
enum class ProcessState : uint32_t {
  kStarting = 0,
  kRunning = 1,
  kExited = 2,   // returned from main / exit(): the file is normally removed then
  kCrashed = 3,  // a crash record is present
};

// GoroutineState is a goroutine's life cycle, in Go's terms.
enum class GoroutineState : uint32_t {
  kFree = 0,      // slot unused
  kRunnable = 1,  // in a run queue
  kRunning = 2,   // on a worker
  kWaiting = 3,   // parked on an object; wait_reason says why
  kSyscall = 4,   // in gleak::blocking()
  kDead = 5,      // returned; the slot is about to be reused
};

// WaitReason is why a goroutine is parked. wait_reason_name() gives Go's words.
enum class WaitReason : uint32_t {
  kNone = 0,
  kChanSend,
  kChanReceive,
  kChanSendNil,
  kChanReceiveNil,
  kSelect,
  kSelectNoCases,
  kMutexLock,
  kRWMutexRLock,
  kRWMutexLock,
  kWaitGroupWait,
  kCondWait,
  kSleep,
  kSyscall,
};

inline const char* wait_reason_name(WaitReason r) {
  switch (r) {
    case WaitReason::kNone: return "";
    case WaitReason::kChanSend: return "chan send";
    case WaitReason::kChanReceive: return "chan receive";
    case WaitReason::kChanSendNil: return "chan send (nil chan)";
    case WaitReason::kChanReceiveNil: return "chan receive (nil chan)";
    case WaitReason::kSelect: return "select";
    case WaitReason::kSelectNoCases: return "select (no cases)";
    case WaitReason::kMutexLock: return "sync.Mutex.Lock";
    case WaitReason::kRWMutexRLock: return "sync.RWMutex.RLock";
    case WaitReason::kRWMutexLock: return "sync.RWMutex.Lock";
    case WaitReason::kWaitGroupWait: return "sync.WaitGroup.Wait";
    case WaitReason::kCondWait: return "sync.Cond.Wait";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kSyscall: return "syscall";
  }
  return "unknown";
}

inline const char* process_state_name(ProcessState s) {
  switch (s) {
    case ProcessState::kStarting: return "starting";
    case ProcessState::kRunning: return "running";
    case ProcessState::kExited: return "exited";
    case ProcessState::kCrashed: return "crashed";
  }
  return "unknown";
}

inline const char* goroutine_state_name(GoroutineState s) {
  switch (s) {
    case GoroutineState::kFree: return "free";
    case GoroutineState::kRunnable: return "runnable";
    case GoroutineState::kRunning: return "running";
    case GoroutineState::kWaiting: return "waiting";
    case GoroutineState::kSyscall: return "syscall";
    case GoroutineState::kDead: return "dead";
  }
  return "unknown";
}

// Go's status line, `goroutine 7 [chan receive, 3 minutes]:`, is written by the crash
// report (in a signal handler, without allocating) and by the inspector's dumps; both
// take its parts from here.
//
// status_word() is what the brackets start with: a waiting goroutine's wait reason
// ("waiting" when it has none), else its state's name.
inline const char* status_word(GoroutineState s, WaitReason r) {
  if (s == GoroutineState::kWaiting) {
    const char* reason = wait_reason_name(r);
    return *reason != '\0' ? reason : "waiting";
  }
  return goroutine_state_name(s);
}
// shows_wait() says whether the status goes on with how long the goroutine has waited
// (", 3 minutes": whole minutes, only from the first one on).
inline bool shows_wait(GoroutineState s) { return s == GoroutineState::kWaiting || s == GoroutineState::kSyscall; }
inline constexpr int64_t kStatusMinuteNs = 60'000'000'000;

// GoroutineRecord is the public part of a goroutine descriptor; the runtime's
// descriptor starts with it, so the goroutine table is the descriptors themselves.
// GLEAK_ARENA_COPYABLE lets a reader copy a record out of the arena byte for byte
// (the seqlock says whether the copy is whole).
#define GLEAK_ARENA_COPYABLE(T)                                                       \
  T() = default;                                                                     \
  T(const T& o) { std::memcpy(static_cast<void*>(this), static_cast<const void*>(&o), sizeof(T)); } \
  T& operator=(const T& o) {                                                         \
    std::memcpy(static_cast<void*>(this), static_cast<const void*>(&o), sizeof(T));  \
    return *this;                                                                    \
  }

struct alignas(64) GoroutineRecord {
  GLEAK_ARENA_COPYABLE(GoroutineRecord)
  std::atomic<uint32_t> seq;
  GoroutineState state;
  uint64_t id;
  uint64_t parent_id;         // 0: created by a plain thread
  uint64_t create_pc;         // return address in the function that called go()
  WaitReason wait_reason;
  int32_t worker;             // worker running it, or -1
  uint64_t wait_object;       // address of the object waited on (0: none); for a
                              // select, of its gleak::detail::SelectOp array (wait_count
                              // cases) on the goroutine's stack
  int64_t wait_since_ns;      // CLOCK_MONOTONIC_COARSE when the wait began (the worker's
                              // clock, refreshed every few parks: may be a little early)
  uint64_t unparked_by;       // goroutine that last made it runnable (0: none/thread)
  uint64_t context;           // saved context while not running: r12..r15, rbx, rbp, rip
  uint64_t stack_lo;          // usable stack [stack_lo, stack_hi); 0 until it first ran
  uint64_t stack_hi;
  int64_t created_ns;         // CLOCK_MONOTONIC_COARSE at go()
  uint32_t recovered_panics;  // panics recovered on this goroutine
  uint32_t wait_count;        // select: number of cases at wait_object
  uint64_t closure;           // address of the goroutine's closure (its captured values)
  uint32_t closure_size;      // bytes of it
  uint32_t group;             // who it works for (a test, a request), inherited from the
                              // goroutine or thread that called go(); 0: none
  // Its labels (gleak::set_label()), inherited at go(): "key=value" pairs separated by
  // '\n', NUL-terminated; a key holds no '=' and neither holds a '\n'.
  char labels[kLabelBytes];
};
static_assert(sizeof(GoroutineRecord) == 192);

// for_each_label() calls fn(key, value) for each "key=value" pair of a record's labels
// text, in order; a damaged text (no NUL, a pair without '=' or with an empty key) is
// read as far as it makes sense. The runtime and the inspector both read labels here.
template <class Fn>
void for_each_label(const char (&text)[kLabelBytes], Fn fn) {
  std::string_view rest(text, strnlen(text, kLabelBytes));
  while (!rest.empty()) {
    std::size_t end = rest.find('\n');
    std::string_view pair = rest.substr(0, end);
    if (std::size_t eq = pair.find('='); eq != std::string_view::npos && eq > 0) fn(pair.substr(0, eq), pair.substr(eq + 1));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

// Offsets inside a parked goroutine's saved context (Boost.Context 1.74 on x86-64,
// checked by the runtime at start-up): the stack pointer at resume is context + 0x40.
inline constexpr uint32_t kContextR12 = 0x08, kContextR13 = 0x10, kContextR14 = 0x18, kContextR15 = 0x20,
                          kContextRbx = 0x28, kContextRbp = 0x30, kContextRip = 0x38, kContextSize = 0x40;

// GateStage says where a process run under `gleak run` (env kGateEnv) is in its exit
// check: at exit it sets kAtExit, then waits until the gate has read it.
enum class GateStage : uint32_t {
  kNone = 0,
  kAtExit = 1,  // exit() was called (or main returned); waiting for the gate
};

// kGateEnv names the gate's socket; a process that finds it set stops at exit for the
// gate's check (docs/ci.md).
inline constexpr const char* kGateEnv = "GLEAK_GATE";

// ObjectKind is what a sync-object record describes.
enum class ObjectKind : uint32_t {
  kFree = 0,
  kChannel = 1,
  kMutex = 2,
  kRWMutex = 3,
  kWaitGroup = 4,
  kCond = 5,
  kContext = 6,
};

inline const char* object_kind_name(ObjectKind k) {
  switch (k) {
    case ObjectKind::kFree: return "free";
    case ObjectKind::kChannel: return "chan";
    case ObjectKind::kMutex: return "sync.Mutex";
    case ObjectKind::kRWMutex: return "sync.RWMutex";
    case ObjectKind::kWaitGroup: return "sync.WaitGroup";
    case ObjectKind::kCond: return "sync.Cond";
    case ObjectKind::kContext: return "context";
  }
  return "unknown";
}

inline constexpr uint32_t kObjectClosed = 1u << 0;  // channel closed / context done

// ObjectRecord describes one live sync object. `address` is where the object lives in
// the target's memory: goroutine records name it in wait_object. The kind-specific
// words are refreshed on slow paths and when the process crashes; for a live process
// the inspector reads the object itself.
struct alignas(64) ObjectRecord {
  GLEAK_ARENA_COPYABLE(ObjectRecord)
  std::atomic<uint32_t> seq;
  ObjectKind kind;
  uint64_t id;
  uint64_t address;
  uint64_t create_pc;
  uint64_t creator;        // goroutine that made it (0: a plain thread)
  uint64_t word0;          // chan: capacity;   mutex: owner goroutine; wg: counter
  uint64_t word1;          // chan: buffered;   rwmutex: readers
  uint32_t flags;          // kObjectClosed
  uint32_t reserved;
};
static_assert(sizeof(ObjectRecord) == 64);

// EventKind is one recorded runtime event.
enum class EventKind : uint32_t {
  kSpawn = 1,    // g = new goroutine, arg = parent
  kPark = 2,     // g parked, aux = WaitReason, arg = object
  kUnpark = 3,   // g made runnable, arg = by which goroutine
  kExit = 4,     // g returned
  kPanic = 5,    // g panicked (unrecovered)
  kRecover = 6,  // g recovered a panic, arg = throw-site pc, aux = its RecoverRecord index + 1
                 // (low 32 bits; 0: not recorded)
  kJoin = 7,     // g's WaitGroup.Wait returned after waiting, arg = the WaitGroup
};

struct Event {
  int64_t time_ns;  // CLOCK_MONOTONIC_COARSE
  uint64_t g;
  uint64_t arg;
  EventKind kind;
  uint32_t aux;
};
static_assert(sizeof(Event) == 32);

// Ring is one worker's event ring. `written` counts every event ever written; event i
// is at events[i % kRingEvents]. Events older than written - kRingEvents were
// overwritten: that difference is the number lost. A reader copies the events, then
// rereads `written` to drop any that were overwritten while it copied.
//
// `spawned` and `exited` count the goroutines started and ended by the ring's worker
// (the external ring: started by plain threads), kept apart from the events so that
// their totals survive the ring's overwriting: the sums over all rings are the
// process's totals since it started (`gleak agent`'s counters). Each ring has one
// writer, as `written` has.
struct alignas(64) Ring {
  std::atomic<uint64_t> written;
  std::atomic<uint64_t> spawned;
  std::atomic<uint64_t> exited;
  uint64_t reserved[5];
  Event events[kRingEvents];
};

// CrashAncestor is one goroutine of a crashed goroutine's creation chain.
struct CrashAncestor {
  uint64_t goroutine;
  uint64_t parent;     // the goroutine that created it
  uint64_t create_pc;  // return address in the function that called go()
};

// CrashRecord is written once, by the goroutine or thread that kills the process.
struct CrashRecord {
  GLEAK_ARENA_COPYABLE(CrashRecord)
  std::atomic<uint32_t> seq;   // odd while being written
  uint32_t present;            // 1 once complete
  uint64_t goroutine;          // 0: a plain thread
  int32_t signal;              // 0 for a panic
  int32_t tid;
  int64_t time_ns;             // CLOCK_MONOTONIC_COARSE
  uint64_t fault_address;
  uint32_t nframes;
  uint32_t nancestors;         // of `ancestors`
  uint64_t frames[kMaxCrashFrames];  // return addresses, innermost first
  char message[1024];          // "panic: ..." or "fatal error: ..."
  char exception_type[256];    // the C++ type of the exception, when not a gleak panic
  // The creation chain at the crash: the crashed goroutine's parent, its parent, and so
  // on while they were alive, up to (not including) one started by a plain thread.
  // ancestor_gone is the first ancestor that had exited already (0: none).
  CrashAncestor ancestors[kMaxAncestors];
  uint64_t ancestor_gone;
};

// RecoverRecord is one recovered panic, in a ring of kRecoverRecords written by
// gleak::recover(). Record i (counting every recovered panic the process ever had) is
// in slot i % kRecoverRecords; `seq` is 2i+1 while it is being written and 2i+2 once it
// is complete, so a reader knows both that a copy is whole and that it is record i, not
// a later one that overwrote it.
struct RecoverRecord {
  GLEAK_ARENA_COPYABLE(RecoverRecord)
  std::atomic<uint64_t> seq;
  uint64_t goroutine;          // 0: a plain thread
  int64_t time_ns;             // CLOCK_MONOTONIC_COARSE
  uint64_t recover_pc;         // return address in the function that called recover()
  uint32_t nframes;            // of `frames`
  uint32_t flags;              // kRecoverTruncated
  uint64_t frames[kRecoverFrames];  // the stack at the throw, innermost first (empty
                                    // for an exception that is not a gleak::Panic)
  char type[64];               // C++ type of the exception when not a gleak::Panic
  char message[280];           // the panic value, cut to fit
};
static_assert(sizeof(RecoverRecord) == 512);

inline constexpr uint32_t kRecoverTruncated = 1u << 0;  // message was cut

// ArenaHeader is at offset 0 of the file.
struct ArenaHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_size;        // sizeof(ArenaHeader)
  uint32_t goroutine_record_size;
  uint32_t goroutine_stride;   // bytes per goroutine descriptor in a chunk
  uint32_t object_record_size;
  uint32_t event_size;
  uint32_t ring_events;
  uint32_t max_chunks;
  int32_t pid;
  uint32_t uid;
  int64_t start_realtime_ns;   // CLOCK_REALTIME at start
  int64_t start_monotonic_ns;  // CLOCK_MONOTONIC at start
  std::atomic<uint32_t> state;  // ProcessState
  std::atomic<int32_t> procs;   // worker count
  std::atomic<int64_t> heartbeat_ns;  // CLOCK_MONOTONIC_COARSE, refreshed by idle workers
  std::atomic<uint64_t> file_size;    // bytes of the file in use
  char exe[512];               // /proc/self/exe at start
  char cmdline[1024];          // arguments, separated by spaces

  // Tables: chunks of records at these file offsets (0: not yet allocated).
  std::atomic<uint32_t> goroutine_chunks;
  std::atomic<uint32_t> object_chunks;
  uint64_t goroutine_chunk_offset[kMaxChunks];
  uint64_t object_chunk_offset[kMaxChunks];

  std::atomic<uint64_t> ring_offset[kMaxRings];  // 0: no ring
  std::atomic<int32_t> worker_tid[kMaxRings];    // thread id of each worker (0: none)
  uint64_t crash_offset;                          // CrashRecord
  uint64_t maps_offset;                           // text of /proc/self/maps
  std::atomic<uint32_t> maps_size;
  // GateStage: how far the process is in the exit check of `gleak run`.
  std::atomic<uint32_t> gate_stage;
  // Written at a crash: the stacks of the goroutines that were not running, walked
  // from their saved contexts, as a sequence of CrashStack records.
  std::atomic<uint64_t> crash_stacks_offset;
  std::atomic<uint64_t> crash_stacks_bytes;
  // Goroutine stack slabs: stack_slab_count base addresses (uint64_t each) at file
  // offset stack_slabs_offset, each slab stack_slab_bytes long. A leak analysis must
  // not take the stale contents of free stack slots for live memory.
  std::atomic<uint64_t> stack_slabs_offset;
  std::atomic<uint32_t> stack_slab_count;
  uint32_t reserved2;
  uint64_t stack_slab_bytes;
  // Where the writer mapped this arena, and how much address space it reserved: the
  // leak analysis leaves the arena out of the memory it scans.
  uint64_t mapped_at;
  uint64_t mapped_bytes;
  // The part of each worker thread's stack where the scheduler's frames lie (only the
  // scheduler runs there, never user code): its stale words are no references, and the
  // leak analysis leaves it out. Above it, the thread's static TLS (thread_local
  // variables) is scanned.
  uint64_t worker_stack_lo[kMaxRings];
  uint64_t worker_stack_hi[kMaxRings];
  // Recovered panics: kRecoverRecords RecoverRecords at recover_offset (0: none was
  // recovered yet); recover_written counts every one ever written.
  uint32_t recover_record_size;  // sizeof(RecoverRecord)
  uint32_t reserved3;
  std::atomic<uint64_t> recover_offset;
  std::atomic<uint64_t> recover_written;
  // ArenaFlag bits. kIncomplete: the file could not grow (its file system is full), so
  // the runtime went on with private memory; tables past file_size are not in the file.
  std::atomic<uint32_t> flags;
  uint32_t reserved4;
  // The process's start time, in clock ticks since boot (field 22 of /proc/<pid>/stat):
  // with the pid, it tells this process from a later one that got the same pid.
  uint64_t start_ticks;
  // The fork helper (core/fork_helper.cc): a runtime thread that forks a frozen copy of
  // this process when a reader sends it kForkSignal with rt_tgsigqueueinfo(2) and a
  // request number as the signal's value. The copy answers: its pid in fork_answer (or
  // the helper: -errno), the request number in fork_answer_for; then fork_answer_seq
  // is bumped and woken (a futex shared through the file). fork_helper_tid is 0 when
  // there is no helper.
  std::atomic<int32_t> fork_helper_tid;
  std::atomic<int32_t> fork_answer;
  std::atomic<int32_t> fork_answer_for;
  std::atomic<uint32_t> fork_answer_seq;
};

// The signal a reader sends the fork helper (a request) and the copy (done). It is
// blocked in both and taken with sigtimedwait(); sent to the helper's thread only, it
// never reaches the program's own threads or handlers.
inline constexpr int kForkSignal = 61;  // SIGRTMAX - 3 under glibc

enum ArenaFlag : uint32_t {
  kArenaIncomplete = 1u << 0,
  // Some goroutine has had labels (gleak::set_label()): set before the first labels
  // are written, so a reader that counts goroutines need not look at the labels of
  // any record of a process that never used them.
  kArenaLabelled = 1u << 1,
};

// CrashStack is one goroutine's stack in the crash-time snapshot; `nframes` return
// addresses follow it.
struct CrashStack {
  uint64_t goroutine;
  uint32_t nframes;
  uint32_t reserved;
};

// A goroutine waiting in a select (WaitReason::kSelect) has its cases on its stack:
// wait_count of them at wait_object, kSelectCaseSize bytes apart, each with the
// address of its channel at kSelectCaseChan (0: a nil channel, never ready). They are
// the runtime's gleak::detail::SelectOp, which core/select.cc checks against these at
// compile time; the leak analysis reads the channels there.
inline constexpr std::size_t kSelectCaseSize = 24;
inline constexpr std::size_t kSelectCaseChan = 0;

inline constexpr uint32_t kMaxStackFrames = 64;  // per goroutine in the snapshot
inline constexpr uint32_t kMaxStackSlabs = 1u << 16;


// arena_directory() is where arena files live for the calling user: $GLEAK_DIR, or
// /dev/shm/gleak-<uid>. It writes the path to out (cut to size) and allocates nothing,
// so the runtime can call it at start-up; both the runtime and the inspector do.
inline constexpr const char* kDirEnv = "GLEAK_DIR";
inline void arena_directory(char* out, std::size_t size) {
  const char* env = std::getenv(kDirEnv);
  if (env != nullptr && env[0] != '\0') {
    std::snprintf(out, size, "%s", env);
  } else {
    std::snprintf(out, size, "/dev/shm/gleak-%u", static_cast<unsigned>(getuid()));
  }
}
// A process that exits normally removes its arena file, unless this is set (and not
// "0"): then the file stays, in state kExited.
inline constexpr const char* kKeepEnv = "GLEAK_KEEP_ARENA";

// private_to() is the rule both sides apply to an arena directory (and the inspector to
// the files in it): it belongs to `uid` and no one else may write to it. Anyone else who
// could would be able to plant or swap arenas.
inline bool private_to(uint32_t owner, uint32_t mode, uint32_t uid) { return owner == uid && (mode & 022) == 0; }

// stat_start_ticks() is the start time (field 22) in the text of /proc/<pid>/stat, or 0
// when the text does not hold one. The command name (field 2) may hold spaces and
// parentheses, so the fields are counted from its last ')'.
inline uint64_t stat_start_ticks(const char* text, std::size_t n) {
  std::size_t i = n;
  while (i > 0 && text[i - 1] != ')') --i;
  if (i == 0) return 0;
  int field = 2;  // text[i - 1] ends field 2
  while (i < n && field < 22) {
    while (i < n && text[i] == ' ') ++i;
    if (++field == 22) break;
    while (i < n && text[i] != ' ') ++i;
  }
  uint64_t v = 0;
  bool any = false;
  for (; field == 22 && i < n && text[i] >= '0' && text[i] <= '9'; ++i, any = true) v = v * 10 + uint64_t(text[i] - '0');
  return any ? v : 0;
}

}  // namespace gleak::arena
