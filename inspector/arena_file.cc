// inspector/arena_file.cc — see arena_file.h.
#include "inspector/arena_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "inspector/errors.h"

namespace gleak::inspector {

using namespace arena;

std::vector<std::string> arena_dirs() {
  // As for the runtime, $GLEAK_DIR replaces the default: an arena found elsewhere would
  // belong to some other process that once had the same pid.
  if (const char* env = std::getenv(kDirEnv); env != nullptr && env[0] != '\0') return {env};
  return {"/dev/shm/gleak-" + std::to_string(getuid())};
}

std::string find_arena(int pid) {
  for (const std::string& dir : arena_dirs()) {
    std::string path = dir + "/" + std::to_string(pid) + ".arena";
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return path;
  }
  return {};
}

namespace {

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  throw InspectError(ErrorCode::kCorrupt, path + ": not a usable gleak arena: " + why);
}

void validate(const std::string& path, const char* base, std::size_t size) {
  if (size < sizeof(ArenaHeader)) corrupt(path, "file too small (" + std::to_string(size) + " bytes)");
  const auto& h = *reinterpret_cast<const ArenaHeader*>(base);
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
  uint32_t gchunks = h.goroutine_chunks.load(std::memory_order_acquire);
  uint32_t ochunks = h.object_chunks.load(std::memory_order_acquire);
  if (gchunks > kMaxChunks || ochunks > kMaxChunks) corrupt(path, "chunk count out of range");
  if (gchunks > 0 && h.goroutine_stride < sizeof(GoroutineRecord)) corrupt(path, "goroutine stride out of range");
  auto in_file = [&](uint64_t off, uint64_t len) { return off != 0 && off <= size && len <= size - off; };
  for (uint32_t i = 0; i < gchunks; ++i) {
    if (!in_file(h.goroutine_chunk_offset[i], uint64_t{h.goroutine_stride} * kGoroutinesPerChunk)) {
      corrupt(path, "goroutine chunk " + std::to_string(i) + " lies outside the file");
    }
  }
  for (uint32_t i = 0; i < ochunks; ++i) {
    if (!in_file(h.object_chunk_offset[i], sizeof(ObjectRecord) * kObjectsPerChunk)) {
      corrupt(path, "object chunk " + std::to_string(i) + " lies outside the file");
    }
  }
  if (h.crash_offset != 0 && !in_file(h.crash_offset, sizeof(CrashRecord))) corrupt(path, "crash record outside the file");
}

}  // namespace

ArenaFile ArenaFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == EACCES || e == EPERM) throw InspectError(ErrorCode::kPermission, path + ": permission denied");
    if (e == ENOENT) throw InspectError(ErrorCode::kNoSuchProcess, path + ": no such file");
    throw InspectError(ErrorCode::kIo, path + ": " + std::strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InspectError(ErrorCode::kCorrupt, path + ": not a regular file");
  }
  std::size_t size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(ArenaHeader)) {
    ::close(fd);
    corrupt(path, "file too small (" + std::to_string(size) + " bytes)");
  }
  // Populate the whole mapping at once: faulting in a large goroutine table page by
  // page costs far more than one bulk population.
  void* mem = mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (mem == MAP_FAILED) throw InspectError(ErrorCode::kIo, path + ": cannot map: " + std::strerror(errno));
  ArenaFile f;
  f.base_ = static_cast<const char*>(mem);
  f.size_ = size;
  f.path_ = path;
  validate(path, f.base_, size);
  return f;
}

ArenaFile::ArenaFile(ArenaFile&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)), path_(std::move(o.path_)) {}

ArenaFile& ArenaFile::operator=(ArenaFile&& o) noexcept {
  if (this != &o) {
    if (base_) munmap(const_cast<char*>(base_), size_);
    base_ = std::exchange(o.base_, nullptr);
    size_ = std::exchange(o.size_, 0);
    path_ = std::move(o.path_);
  }
  return *this;
}

ArenaFile::~ArenaFile() {
  if (base_) munmap(const_cast<char*>(base_), size_);
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
