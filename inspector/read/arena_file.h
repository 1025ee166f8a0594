// inspector/read/arena_file.h — finding, mapping and validating a probe arena file.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arena/layout.h"

namespace gleak::inspector {

// arena_dirs() are the directories arena files may be in, for the calling user:
// $GLEAK_DIR when it is set (as the runtime writes there only), else /dev/shm/gleak-<uid>.
std::vector<std::string> arena_dirs();

// find_arena() is the arena file of pid, or "" if there is none: first in the caller's
// arena_dirs(), then, for a live process, where the process itself maps it (its
// /proc/<pid>/maps): then `sudo gleak dump`, a process started with another
// $GLEAK_DIR, one under `gleak run` and one in a container are all found. A file in
// another mount namespace is reached through /proc/<pid>/root. Only a directory that
// is the caller's (any user's, for root) and that nobody else may write to is taken,
// and only a regular file that the directory's owner owns: another user must not be
// able to plant an arena there. A directory that fails this is an InspectError
// (kPermission) that says why.
std::string find_arena(int pid);

// namespace_pid() is pid as the process knows itself: its pid in its own pid namespace
// (the last NSpid of /proc/<pid>/status), which names its arena file and is the pid its
// header holds; pid itself when it shares ours or when that cannot be read.
int namespace_pid(int pid);

// check_arena_dir() is that check of one directory: "" when it may be trusted, else why
// not. `to_write`: files will be made in it (by `gleak run`), so it must be the caller's
// own even for root.
std::string check_arena_dir(const std::string& dir, bool to_write = false);

// ArenaFile is a read-only mapping of an arena file and a private copy of its header,
// checked once: every count and offset in the copy is in range, so that a writer (or a
// hostile file) changing the mapped header afterwards cannot lead a reader astray.
// Accessors return null for anything that lies outside the file.
class ArenaFile {
 public:
  // open() maps and validates path; throws InspectError (kCorrupt, kPermission, kIo).
  // Only a regular file is opened (a FIFO or a device neither blocks nor is read).
  // With `discovered`, path came from an arena directory: it must not be a symbolic
  // link, and the file must belong to `owner` and be writable by nobody else.
  static ArenaFile open(const std::string& path);
  static ArenaFile open_discovered(const std::string& path, uid_t owner);
  ArenaFile(ArenaFile&&) noexcept;
  ArenaFile& operator=(ArenaFile&&) noexcept;
  ArenaFile(const ArenaFile&) = delete;
  ArenaFile& operator=(const ArenaFile&) = delete;
  ~ArenaFile();

  // header() is the checked copy; live_header() the mapped header, which the writer
  // keeps changing (only its atomic fields may be read, and none of them trusted).
  const arena::ArenaHeader& header() const { return *reinterpret_cast<const arena::ArenaHeader*>(header_.get()); }
  const arena::ArenaHeader& live_header() const { return *reinterpret_cast<const arena::ArenaHeader*>(base_); }
  const std::string& path() const { return path_; }
  std::size_t size() const { return size_; }
  uid_t owner() const { return owner_; }
  // lock_for_stop() takes an exclusive lock on the file (flock), held until the
  // ArenaFile is gone: inspectors that stop the process (dumps, leak analyses, the
  // runtime's deadlock check) take turns instead of failing on each other's ptrace.
  // False if another holder kept it for `timeout_ms`.
  bool lock_for_stop(int timeout_ms);
  // refresh() maps what the file has grown to and takes and checks a new copy of the
  // header (throws as open() does). Readers call it once the target is stopped.
  void refresh();

  // at<T>(offset, count) is `count` T's at `offset`, or null when out of bounds or
  // misaligned for T (the mapping is page-aligned, so the offset decides).
  template <class T>
  const T* at(uint64_t offset, std::size_t count = 1) const {
    if (offset == 0 || offset > size_ || count > (size_ - offset) / sizeof(T) || offset % alignof(T) != 0) return nullptr;
    return reinterpret_cast<const T*>(base_ + offset);
  }

 private:
  ArenaFile() = default;
  static ArenaFile open_fd(int fd, const std::string& path);
  void take_header();
  void unmap();
  int fd_ = -1;
  const char* base_ = nullptr;
  std::size_t size_ = 0;
  uid_t owner_ = 0;
  std::unique_ptr<unsigned char[]> header_;
  std::string path_;
};

// read_seqlocked() copies a seqlock-guarded record; false when it stayed torn (being
// written, or its writer died mid-update).
template <class Rec>
bool read_seqlocked(const Rec* src, Rec* out);

}  // namespace gleak::inspector
