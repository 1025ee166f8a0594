// inspector/arena_file.h — finding, mapping and validating a probe arena file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/arena_layout.h"

namespace gleak::inspector {

// arena_dirs() are the directories arena files may be in, for the calling user:
// $GLEAK_DIR when it is set (as the runtime writes there only), else /dev/shm/gleak-<uid>.
std::vector<std::string> arena_dirs();

// find_arena() is the arena file of pid, or "" if there is none.
std::string find_arena(int pid);

// ArenaFile is a read-only mapping of an arena file whose header has been checked.
// Accessors return null for anything that lies outside the file.
class ArenaFile {
 public:
  // open() maps and validates path; throws InspectError (kCorrupt, kPermission, kIo).
  static ArenaFile open(const std::string& path);
  ArenaFile(ArenaFile&&) noexcept;
  ArenaFile& operator=(ArenaFile&&) noexcept;
  ArenaFile(const ArenaFile&) = delete;
  ArenaFile& operator=(const ArenaFile&) = delete;
  ~ArenaFile();

  const arena::ArenaHeader& header() const { return *reinterpret_cast<const arena::ArenaHeader*>(base_); }
  const std::string& path() const { return path_; }
  std::size_t size() const { return size_; }

  // at<T>(offset, count) is `count` T's at `offset`, or null when out of bounds.
  template <class T>
  const T* at(uint64_t offset, std::size_t count = 1) const {
    if (offset == 0 || offset > size_ || count > (size_ - offset) / sizeof(T)) return nullptr;
    return reinterpret_cast<const T*>(base_ + offset);
  }

 private:
  ArenaFile() = default;
  const char* base_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

// read_seqlocked() copies a seqlock-guarded record; false when it stayed torn (being
// written, or its writer died mid-update).
template <class Rec>
bool read_seqlocked(const Rec* src, Rec* out);

}  // namespace gleak::inspector
