// core/arena.cc — creating, growing and closing the probe arena file.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <mutex>

#include "arena/clock.h"
#include "core/internal/check.h"
#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"

namespace gleak::internal {
namespace {

using namespace gleak::arena;

constexpr uint64_t kReserve = 64ull << 30;  // address space only: the file grows as used
constexpr uint64_t kGrowStep = 4ull << 20;

struct Arena {
  std::once_flag once;
  int fd = -1;
  char* base = nullptr;
  bool shared = false;
  int owner_pid = 0;
  SpinLock lock;  // allocation and growth
  uint64_t used = 0;
  uint64_t truncated = 0;     // bytes usable from base
  uint64_t shared_limit = 0;  // 0, or where the file ends and private memory begins
  SpinLock ext_lock;
  SpinLock obj_lock;
  ObjectRecord* free_objects = nullptr;
  std::atomic<uint64_t> next_object_id{1};
  char path[600] = {};
};

constinit Arena g_arena;

ArenaHeader* header() { return reinterpret_cast<ArenaHeader*>(g_arena.base); }

void read_file(const char* path, char* out, std::size_t cap, bool nul_to_space) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  std::size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, out + n, cap - 1 - n);
    if (r <= 0) break;
    n += static_cast<std::size_t>(r);
  }
  close(fd);
  if (nul_to_space) {
    for (std::size_t i = 0; i + 1 < n; ++i) {
      if (out[i] == '\0') out[i] = ' ';
    }
  }
  out[n] = '\0';
}

uint64_t own_start_ticks() {
  char text[1024];
  read_file("/proc/self/stat", text, sizeof text, false);
  return stat_start_ticks(text, std::strlen(text));
}

// open_file() creates the arena file; false (with errno) when it cannot. The directory
// must be ours and writable by nobody else: another user could otherwise plant or swap
// files in it. An arena already there under our pid is a dead process's post-mortem:
// it is moved aside (to <pid>.<its start ticks>.arena), never truncated.
bool open_file(int* fd_out, const char** why) {
  char dir[400];
  arena_directory(dir, sizeof dir);
  char name[64];
  std::snprintf(name, sizeof name, "%d.arena", static_cast<int>(getpid()));
  std::snprintf(g_arena.path, sizeof g_arena.path, "%s/%s", dir, name);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return false;
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return false;
  struct stat st;
  if (fstat(dfd, &st) != 0 || !private_to(st.st_uid, st.st_mode, getuid())) {
    close(dfd);
    *why = "its directory belongs to another user or others may write to it";
    return false;
  }
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0 || errno != EEXIST || attempt == 1) break;
    // Keep the old file under a name of its own (its start time, or the time now).
    uint64_t ticks = 0;
    int old = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (old >= 0) {
      ArenaHeader oh;
      if (pread(old, &oh, sizeof oh, 0) == static_cast<ssize_t>(sizeof oh) && std::memcmp(oh.magic, kMagic, sizeof kMagic) == 0) {
        ticks = oh.version == kVersion ? oh.start_ticks : 0;
      }
      close(old);
    }
    if (ticks == 0) ticks = static_cast<uint64_t>(clock_ns(CLOCK_REALTIME));
    char aside[96];
    std::snprintf(aside, sizeof aside, "%d.%llu.arena", static_cast<int>(getpid()), static_cast<unsigned long long>(ticks));
    if (renameat(dfd, name, dfd, aside) != 0) unlinkat(dfd, name, 0);
  }
  close(dfd);
  if (fd < 0) return false;
  *fd_out = fd;
  return true;
}

// degrade() is for a file that cannot grow (its file system is full): the rest of the
// reserve becomes private memory, the header says the arena is incomplete, and the
// process goes on. Tables allocated from now on are not in the file; readers skip them.
void degrade(int err) {
  void* at = g_arena.base + g_arena.truncated;
  void* m = mmap(at, kReserve - g_arena.truncated, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  GLEAK_CHECK(m == at, "cannot map private memory for the probe tables");
  g_arena.shared_limit = g_arena.truncated;
  header()->flags.fetch_or(kArenaIncomplete, std::memory_order_release);
  char msg[800];
  int n = std::snprintf(msg, sizeof msg,
                        "gleak: cannot grow the probe arena %s (%s): goroutines created from now on are not "
                        "recorded in it, and `gleak dump` will call it incomplete\n",
                        g_arena.path, std::strerror(err));
  if (n > 0) (void)!write(2, msg, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof msg - 1));
}

// grow() makes the memory at least `size` bytes; called with the lock held. The file's
// blocks are reserved (posix_fallocate), so that a full file system shows here, as an
// error, and not as a SIGBUS when the memory is first touched.
void grow(uint64_t size) {
  if (size <= g_arena.truncated) return;
  uint64_t want = (size + kGrowStep - 1) / kGrowStep * kGrowStep;
  GLEAK_CHECK(want <= kReserve, "probe arena exhausted");
  if (g_arena.shared && g_arena.shared_limit == 0) {
    int err = posix_fallocate(g_arena.fd, static_cast<off_t>(g_arena.truncated),
                              static_cast<off_t>(want - g_arena.truncated));
    if (err != 0) degrade(err);
  }
  g_arena.truncated = want;
}

uint64_t bump(std::size_t bytes) {
  uint64_t off = (g_arena.used + 63) & ~uint64_t{63};
  g_arena.used = off + bytes;
  grow(g_arena.used);
  if (g_arena.shared_limit == 0) header()->file_size.store(g_arena.used, std::memory_order_release);
  return off;
}

void after_fork_in_child() {
  // The child must not write into its parent's arena: keep a private copy.
  // Only the part the file holds is mapped from it; past that, private anonymous memory
  // (a private file mapping past the end of the file would fault).
  if (!g_arena.shared || g_arena.base == nullptr) return;
  // (What lies past a degraded arena's file is private already, and inherited as is.)
  uint64_t in_file = g_arena.shared_limit != 0 ? g_arena.shared_limit : g_arena.truncated;
  mmap(g_arena.base, in_file, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, g_arena.fd, 0);
  if (g_arena.shared_limit == 0) {
    mmap(g_arena.base + in_file, kReserve - in_file, PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  }
  g_arena.shared = false;
}

void init_arena() {
  int fd = -1;
  void* mem = MAP_FAILED;
  int saved_errno = 0;
  const char* why = nullptr;
  if (open_file(&fd, &why)) {
    int err = posix_fallocate(fd, 0, static_cast<off_t>(kGrowStep));
    if (err == 0) {
      mem = mmap(nullptr, kReserve, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
      if (mem == MAP_FAILED) err = errno;
    }
    if (mem == MAP_FAILED) {
      saved_errno = err;
      close(fd);
      unlink(g_arena.path);
      fd = -1;
    }
  } else {
    saved_errno = errno;
  }
  if (mem == MAP_FAILED) {
    std::fprintf(stderr, "gleak: no probe arena in %s (%s): this process cannot be inspected from outside\n",
                 g_arena.path, why != nullptr ? why : std::strerror(saved_errno));
    mem = mmap(nullptr, kReserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) {
      std::fprintf(stderr, "fatal error: out of address space for the probe tables\n");
      std::_Exit(2);
    }
    g_arena.shared = false;
  } else {
    g_arena.shared = true;
  }
  g_arena.fd = fd;
  g_arena.base = static_cast<char*>(mem);
  g_arena.owner_pid = getpid();
  g_arena.truncated = kGrowStep;
  g_arena.used = sizeof(ArenaHeader);

  ArenaHeader* h = header();
  h->version = kVersion;
  h->header_size = sizeof(ArenaHeader);
  h->goroutine_record_size = sizeof(GoroutineRecord);
  h->object_record_size = sizeof(ObjectRecord);
  h->event_size = sizeof(Event);
  h->recover_record_size = sizeof(RecoverRecord);
  h->ring_events = kRingEvents;
  h->max_chunks = kMaxChunks;
  h->pid = getpid();
  h->uid = getuid();
  h->mapped_at = reinterpret_cast<uint64_t>(mem);
  h->mapped_bytes = kReserve;
  h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
  h->start_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
  h->start_ticks = own_start_ticks();
  h->heartbeat_ns.store(clock_ns(CLOCK_MONOTONIC_COARSE), std::memory_order_relaxed);
  ssize_t n = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
  h->exe[n > 0 ? n : 0] = '\0';
  read_file("/proc/self/cmdline", h->cmdline, sizeof h->cmdline, true);
  {
    std::lock_guard<SpinLock> lk(g_arena.lock);
    h->crash_offset = bump(sizeof(CrashRecord));
    h->maps_offset = bump(kMapsBytes);
  }
  arena_snapshot_maps();
  h->state.store(static_cast<uint32_t>(ProcessState::kRunning), std::memory_order_relaxed);
  // The magic goes last: a reader that sees it sees a complete header.
  std::atomic_thread_fence(std::memory_order_release);
  std::memcpy(h->magic, kMagic, sizeof kMagic);
  pthread_atfork(nullptr, nullptr, after_fork_in_child);
  std::atexit(arena_mark_exited);
}

void ensure_arena() { std::call_once(g_arena.once, init_arena); }

}  // namespace

ArenaHeader* arena_header() {
  ensure_arena();
  return header();
}

void* arena_alloc(std::size_t bytes, uint64_t* offset) {
  ensure_arena();
  std::lock_guard<SpinLock> lk(g_arena.lock);
  uint64_t off = bump(bytes);
  if (offset) *offset = off;
  return g_arena.base + off;
}

void* arena_try_alloc(std::size_t bytes, uint64_t* offset) {
  if (g_arena.base == nullptr) return nullptr;
  // Bounded: the holder may be the very thread that is dying, stopped inside it.
  for (int attempt = 0; !g_arena.lock.try_lock(); ++attempt) {
    if (attempt == 1 << 16) return nullptr;
    cpu_relax();
  }
  uint64_t off = bump(bytes);
  g_arena.lock.unlock();
  if (offset) *offset = off;
  return g_arena.base + off;
}

const char* arena_file_path() { return g_arena.base != nullptr && g_arena.shared ? g_arena.path : ""; }

RecoverRecord* arena_recover_ring() {
  ArenaHeader* h = arena_header();
  uint64_t off = h->recover_offset.load(std::memory_order_acquire);
  if (off == 0) {
    std::lock_guard<SpinLock> lk(g_arena.lock);
    off = h->recover_offset.load(std::memory_order_relaxed);
    if (off == 0) {
      off = bump(sizeof(RecoverRecord) * kRecoverRecords);
      h->recover_offset.store(off, std::memory_order_release);
    }
  }
  return reinterpret_cast<RecoverRecord*>(g_arena.base + off);
}

RecoverRecord* arena_recover_ring_if_any() {
  if (g_arena.base == nullptr) return nullptr;
  uint64_t off = header()->recover_offset.load(std::memory_order_acquire);
  return off ? reinterpret_cast<RecoverRecord*>(g_arena.base + off) : nullptr;
}

Ring* arena_ring(uint32_t index) {
  ArenaHeader* h = arena_header();
  uint64_t off = h->ring_offset[index].load(std::memory_order_acquire);
  if (off == 0) {
    std::lock_guard<SpinLock> lk(g_arena.lock);
    off = h->ring_offset[index].load(std::memory_order_relaxed);
    if (off == 0) {
      off = bump(sizeof(Ring));
      h->ring_offset[index].store(off, std::memory_order_release);
    }
  }
  return reinterpret_cast<Ring*>(g_arena.base + off);
}

void emit_external(EventKind kind, uint64_t g, uint64_t arg, uint32_t aux) {
#if !defined(GLEAK_NO_RECORDING)
  Ring* r = arena_ring(kExternalRing);
  std::lock_guard<SpinLock> lk(g_arena.ext_lock);
  ring_emit(r, coarse_now_ns(), kind, g, arg, aux);
  if (kind == EventKind::kSpawn) ring_count(r->spawned);
#else
  (void)kind, (void)g, (void)arg, (void)aux;
#endif
}

ObjectRecord* register_object(ObjectKind kind, const void* address, const void* create_pc) {
  ArenaHeader* h = arena_header();
  ObjectRecord* rec;
  {
    std::lock_guard<SpinLock> lk(g_arena.obj_lock);
    if (g_arena.free_objects == nullptr) {
      uint32_t n = h->object_chunks.load(std::memory_order_relaxed);
      GLEAK_CHECK(n < kMaxChunks, "sync-object table exhausted");
      uint64_t off = 0;
      auto* chunk = static_cast<ObjectRecord*>(arena_alloc(sizeof(ObjectRecord) * kObjectsPerChunk, &off));
      for (uint32_t i = kObjectsPerChunk; i-- > 0;) {
        chunk[i].word0 = reinterpret_cast<uint64_t>(g_arena.free_objects);
        g_arena.free_objects = &chunk[i];
      }
      h->object_chunk_offset[n] = off;
      h->object_chunks.store(n + 1, std::memory_order_release);
    }
    rec = g_arena.free_objects;
    g_arena.free_objects = reinterpret_cast<ObjectRecord*>(rec->word0);
  }
  uint32_t s = rec->seq.load(std::memory_order_relaxed);
  rec->seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  rec->kind = kind;
  rec->id = g_arena.next_object_id.fetch_add(1, std::memory_order_relaxed);
  rec->address = reinterpret_cast<uint64_t>(address);
  rec->create_pc = reinterpret_cast<uint64_t>(create_pc);
  G* creator = current_g();
  rec->creator = creator ? creator->rec.id : 0;
  rec->word0 = 0;
  rec->word1 = 0;
  rec->flags = 0;
  rec->seq.store(s + 2, std::memory_order_release);
  return rec;
}

void unregister_object(ObjectRecord* rec) {
  if (rec == nullptr) return;
  uint32_t s = rec->seq.load(std::memory_order_relaxed);
  rec->seq.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  rec->kind = ObjectKind::kFree;
  rec->address = 0;
  std::lock_guard<SpinLock> lk(g_arena.obj_lock);
  rec->word0 = reinterpret_cast<uint64_t>(g_arena.free_objects);
  g_arena.free_objects = rec;
  rec->seq.store(s + 2, std::memory_order_release);
}

void update_object(ObjectRecord* rec, uint64_t word0, uint64_t word1, uint32_t flags, bool shared) {
#if defined(GLEAK_NO_RECORDING)
  (void)rec, (void)word0, (void)word1, (void)flags, (void)shared;
  return;
#endif
  if (rec == nullptr) return;
  uint32_t s = rec->seq.load(std::memory_order_relaxed);
  if (!shared) {
    rec->seq.store(s + 1, std::memory_order_relaxed);
  } else {
    // Writers race: each takes the record by making `seq` odd with a CAS, so that two
    // updates never interleave and a reader never takes a mix of them as consistent.
    for (;;) {
      if ((s & 1) == 0 && rec->seq.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed)) break;
      cpu_relax();
      s = rec->seq.load(std::memory_order_relaxed);
    }
  }
  std::atomic_thread_fence(std::memory_order_release);
  rec->word0 = word0;
  rec->word1 = word1;
  rec->flags = flags;
  rec->seq.store(s + 2, std::memory_order_release);
}

void arena_publish_slab(const void* base, std::size_t bytes) {
  ArenaHeader* h = arena_header();
  // Called with the stack pool's lock held: one writer at a time.
  uint64_t off = h->stack_slabs_offset.load(std::memory_order_relaxed);
  if (off == 0) {
    arena_alloc(kMaxStackSlabs * sizeof(uint64_t), &off);
    h->stack_slab_bytes = bytes;
    h->stack_slabs_offset.store(off, std::memory_order_release);
  }
  uint32_t n = h->stack_slab_count.load(std::memory_order_relaxed);
  if (n >= kMaxStackSlabs || off == 0) return;
  reinterpret_cast<uint64_t*>(g_arena.base + off)[n] = reinterpret_cast<uint64_t>(base);
  h->stack_slab_count.store(n + 1, std::memory_order_release);
}

void set_worker_tid(int index, int tid, uint64_t scheduler_top) {
  ArenaHeader* h = arena_header();
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* base = nullptr;
    std::size_t size = 0;
    if (pthread_attr_getstack(&attr, &base, &size) == 0) {
      // Only the part the scheduler's frames use: above it lie the thread's first
      // frames, its static TLS (the program's thread_local variables) and glibc's
      // thread descriptor, which the leak analysis must scan.
      uint64_t lo = reinterpret_cast<uint64_t>(base);
      uint64_t hi = lo + size;
      h->worker_stack_lo[index] = lo;
      h->worker_stack_hi[index] = scheduler_top > lo && scheduler_top < hi ? scheduler_top : lo;
    }
    pthread_attr_destroy(&attr);
  }
  h->worker_tid[index].store(tid, std::memory_order_release);
}

void arena_snapshot_maps() {
  ArenaHeader* h = header();
  if (h == nullptr || h->maps_offset == 0) return;
  char* out = g_arena.base + h->maps_offset;
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  uint32_t n = 0;
  while (n + 1 < kMapsBytes) {
    ssize_t r = read(fd, out + n, kMapsBytes - 1 - n);
    if (r <= 0) break;
    n += static_cast<uint32_t>(r);
  }
  close(fd);
  out[n] = '\0';
  h->maps_size.store(n, std::memory_order_release);
}

void arena_mark_exited() {
  if (g_arena.base == nullptr || getpid() != g_arena.owner_pid) return;
  ArenaHeader* h = header();
  if (h->state.load() == static_cast<uint32_t>(ProcessState::kCrashed)) return;
  h->state.store(static_cast<uint32_t>(ProcessState::kExited), std::memory_order_release);
  // GLEAK_KEEP_ARENA keeps the file of a process that exits normally, for a post-mortem
  // `gleak dump` (of the panics it recovered, say).
  const char* keep = std::getenv(kKeepEnv);
  if (g_arena.shared && (keep == nullptr || *keep == '\0' || std::strcmp(keep, "0") == 0)) unlink(g_arena.path);
}

}  // namespace gleak::internal
