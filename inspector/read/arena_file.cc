// inspector/read/arena_file.cc — see arena_file.h.
#include "inspector/read/arena_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "inspector/errors.h"
#include "inspector/read/memory_image.h"

namespace gleak::inspector {

using namespace arena;

std::vector<std::string> arena_dirs() {
  // As for the runtime, $GLEAK_DIR replaces the default: an arena found elsewhere would
  // belong to some other process that once had the same pid.
  char dir[4096];
  arena_directory(dir, sizeof dir);
  return {dir};
}

std::string check_arena_dir(const std::string& dir, bool to_write) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return errno == ENOENT ? std::string() : dir + ": " + std::strerror(errno);
  struct stat st;
  int rc = fstat(dfd, &st);
  ::close(dfd);
  if (rc != 0) return dir + ": " + std::strerror(errno);
  // Root reads any user's directory (by that user's rule), but makes files only in its own.
  uid_t as = geteuid() == 0 && !to_write ? st.st_uid : geteuid();
  if (private_to(st.st_uid, st.st_mode, as)) return {};
  if (st.st_uid != as) return dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to you: its arenas are not trusted";
  return dir + " may be written by other users: its arenas are not trusted";
}

namespace {

std::string read_small(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string link_of(const std::string& path) {
  char buf[256];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// mapped_arena() is the arena file pid maps, as a path this process can open; "" if
// it maps none (or its maps cannot be read).
std::string mapped_arena(int pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  std::string name = "/" + std::to_string(namespace_pid(pid)) + ".arena";
  for (const MapEntry& e : parse_maps(read_small(proc + "/maps"))) {
    // The runtime maps its arena shared, read-write, from a file named after its pid.
    if (!e.shared || !e.write || e.path.size() <= name.size() || e.path[0] != '/' ||
        e.path.compare(e.path.size() - name.size(), name.size(), name) != 0) {
      continue;
    }
    // In another mount namespace (a container) the path means something else here.
    std::string here = link_of("/proc/self/ns/mnt"), there = link_of(proc + "/ns/mnt");
    return !there.empty() && there != here ? proc + "/root" + e.path : e.path;
  }
  return {};
}

}  // namespace

int namespace_pid(int pid) {
  std::istringstream status(read_small("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("NSpid:", 0) != 0) continue;
    std::istringstream ids(line.substr(6));
    int last = pid;
    for (int id; ids >> id;) last = id;
    return last > 0 ? last : pid;
  }
  return pid;
}

std::string find_arena(int pid) {
  for (const std::string& dir : arena_dirs()) {
    std::string path = dir + "/" + std::to_string(pid) + ".arena";
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (std::string why = check_arena_dir(dir); !why.empty()) throw InspectError(ErrorCode::kPermission, why);
    return path;
  }
  std::string path = mapped_arena(pid);
  if (path.empty()) return {};
  std::string dir = path.substr(0, path.rfind('/'));
  if (std::string why = check_arena_dir(dir); !why.empty()) throw InspectError(ErrorCode::kPermission, why);
  return path;
}

namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw InspectError(ErrorCode::kCorrupt, path + ": not a usable gleak arena: " + why);
}

// validate() checks the header copy `h` against a file of `size` bytes.
void validate(const std::string& path, const ArenaHeader& h, std::size_t size) {
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) corrupt(path, "bad magic");
  if (h.version != kVersion) {
    corrupt(path, "layout version " + std::to_string(h.version) + ", this gleak reads version " +
                      std::to_string(kVersion));
  }
  if (h.header_size != sizeof(ArenaHeader) || h.goroutine_record_size != sizeof(GoroutineRecord) ||
      h.object_record_size != sizeof(ObjectRecord) || h.event_size != sizeof(Event) || h.ring_events != kRingEvents ||
      h.max_chunks != kMaxChunks || h.recover_record_size != sizeof(RecoverRecord)) {
    corrupt(path, "record sizes do not match this gleak's layout");
  }
  uint32_t gchunks = h.goroutine_chunks.load(std::memory_order_relaxed);
  uint32_t ochunks = h.object_chunks.load(std::memory_order_relaxed);
  if (gchunks > kMaxChunks || ochunks > kMaxChunks) corrupt(path, "chunk count out of range");
  if (gchunks > 0 && (h.goroutine_stride < sizeof(GoroutineRecord) || h.goroutine_stride > (1u << 20))) {
    corrupt(path, "goroutine stride out of range");
  }
  // A runtime whose file system filled up went on in private memory: its later tables
  // are not in the file, and readers skip them (the header says so).
  bool incomplete = (h.flags.load(std::memory_order_relaxed) & kArenaIncomplete) != 0;
  // The runtime places every table at a multiple of 64 bytes (arena_alloc()).
  auto in_file = [&](uint64_t off, uint64_t len) { return off != 0 && off % 64 == 0 && off <= size && len <= size - off; };
  if (gchunks > 0 && h.goroutine_stride % alignof(GoroutineRecord) != 0) corrupt(path, "goroutine stride misaligned");
  for (uint32_t i = 0; i < gchunks; ++i) {
    if (!in_file(h.goroutine_chunk_offset[i], uint64_t{h.goroutine_stride} * kGoroutinesPerChunk) && !incomplete) {
      corrupt(path, "goroutine chunk " + std::to_string(i) + " lies outside the file");
    }
  }
  for (uint32_t i = 0; i < ochunks; ++i) {
    if (!in_file(h.object_chunk_offset[i], sizeof(ObjectRecord) * kObjectsPerChunk) && !incomplete) {
      corrupt(path, "object chunk " + std::to_string(i) + " lies outside the file");
    }
  }
  if (h.crash_offset != 0 && !in_file(h.crash_offset, sizeof(CrashRecord))) corrupt(path, "crash record outside the file");
  if (h.maps_offset != 0 && !in_file(h.maps_offset, kMapsBytes)) corrupt(path, "memory map copy outside the file");
  if (h.maps_size.load(std::memory_order_relaxed) >= kMapsBytes) corrupt(path, "memory map copy too long");
  if (h.stack_slab_count.load(std::memory_order_relaxed) > kMaxStackSlabs) corrupt(path, "stack slab count out of range");
  if (h.stack_slab_bytes > (uint64_t{1} << 40)) corrupt(path, "stack slab size out of range");
  if (h.mapped_bytes > (uint64_t{1} << 47)) corrupt(path, "arena reserve out of range");
}

[[noreturn]] void open_error(const std::string& path, int e) {
  if (e == EACCES || e == EPERM) throw InspectError(ErrorCode::kPermission, path + ": permission denied");
  if (e == ENOENT) throw InspectError(ErrorCode::kNoSuchProcess, path + ": no such file");
  if (e == ELOOP) throw InspectError(ErrorCode::kPermission, path + ": is a symbolic link, which an arena directory must not hold");
  throw InspectError(ErrorCode::kIo, path + ": " + std::strerror(e));
}

}  // namespace

ArenaFile ArenaFile::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) open_error(path, errno);
  return open_fd(fd, path);
}

ArenaFile ArenaFile::open_discovered(const std::string& path, uid_t owner) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
  if (fd < 0) open_error(path, errno);
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !private_to(st.st_uid, st.st_mode, owner)) {
    ::close(fd);
    throw InspectError(ErrorCode::kPermission, path + ": belongs to uid " + std::to_string(st.st_uid) +
                                                   " or may be written by others: not trusted");
  }
  return open_fd(fd, path);
}

ArenaFile ArenaFile::open_fd(int fd, const std::string& path) {
  ArenaFile f;
  f.fd_ = fd;
  f.path_ = path;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) throw InspectError(ErrorCode::kCorrupt, path + ": not a regular file");
  f.owner_ = st.st_uid;
  f.refresh();
  return f;
}

bool ArenaFile::lock_for_stop(int timeout_ms) {
  for (int waited = 0;; waited += 5) {
    if (flock(fd_, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno != EWOULDBLOCK && errno != EINTR) return false;
    if (waited >= timeout_ms) return false;
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
}

void ArenaFile::unmap() {
  if (base_) munmap(const_cast<char*>(base_), size_);
  base_ = nullptr;
  size_ = 0;
}

void ArenaFile::refresh() {
  struct stat st;
  if (fstat(fd_, &st) != 0) throw InspectError(ErrorCode::kIo, path_ + ": " + std::strerror(errno));
  std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(ArenaHeader)) corrupt(path_, "file too small (" + std::to_string(size) + " bytes)");
  if (size != size_) {
    unmap();
    // Populate the whole mapping at once: faulting in a large goroutine table page by
    // page costs far more than one bulk population.
    void* mem = mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd_, 0);
    if (mem == MAP_FAILED) throw InspectError(ErrorCode::kIo, path_ + ": cannot map: " + std::strerror(errno));
    base_ = static_cast<const char*>(mem);
    size_ = size;
  }
  take_header();
}

void ArenaFile::take_header() {
  if (!header_) header_ = std::make_unique<unsigned char[]>(sizeof(ArenaHeader));
  std::memcpy(header_.get(), base_, sizeof(ArenaHeader));
  validate(path_, header(), size_);
}

ArenaFile::ArenaFile(ArenaFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      base_(std::exchange(o.base_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      owner_(o.owner_),
      header_(std::move(o.header_)),
      path_(std::move(o.path_)) {}

ArenaFile& ArenaFile::operator=(ArenaFile&& o) noexcept {
  if (this != &o) {
    unmap();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
    owner_ = o.owner_;
    header_ = std::move(o.header_);
    path_ = std::move(o.path_);
  }
  return *this;
}

ArenaFile::~ArenaFile() {
  unmap();
  if (fd_ >= 0) ::close(fd_);
}

template <class Rec>
bool read_seqlocked(const Rec* src, Rec* out) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    uint32_t s1 = src->seq.load(std::memory_order_acquire);
    if ((s1 & 1) == 0) {
      std::memcpy(static_cast<void*>(out), static_cast<const void*>(src), sizeof(Rec));
      std::atomic_thread_fence(std::memory_order_acquire);
      if (src->seq.load(std::memory_order_relaxed) == s1) return true;
    }
    __builtin_ia32_pause();
  }
  std::memcpy(static_cast<void*>(out), static_cast<const void*>(src), sizeof(Rec));
  return false;
}

template bool read_seqlocked<GoroutineRecord>(const GoroutineRecord*, GoroutineRecord*);
template bool read_seqlocked<ObjectRecord>(const ObjectRecord*, ObjectRecord*);
template bool read_seqlocked<CrashRecord>(const CrashRecord*, CrashRecord*);

}  // namespace gleak::inspector
