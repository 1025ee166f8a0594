// inspector/read/fork_copy.h — a frozen copy-on-write copy of a stopped process, so that
// the leak analysis can read one instant of its memory while the process runs on.
//
// The copy is made by the process itself: once the reader has stopped every thread but
// the runtime's fork helper (core/fork_helper.cc), it queues arena::kForkSignal to the
// helper with a request number. The helper forks with no exit signal, so the program's
// own wait() and SIGCHLD never see the copy. The copy answers through the arena
// header (its pid, for that request number), runs nothing of the program's, and ends
// when told (the same signal), when its reader is gone, or after ten minutes; the
// helper reaps it. Nothing of the process is written to and no register is changed:
// a reader killed at any point leaves the process as it was.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "arena/layout.h"

namespace gleak::inspector {

class ForkCopy {
 public:
  // Asks process pid's fork helper (its thread helper_tid) for a copy, and waits up to
  // timeout_ms for the answer in `live`, the process's arena header as this process
  // maps it. The caller has stopped every other thread of the process. pid() is 0 and
  // why() says why when no copy was made or it cannot be read.
  ForkCopy(pid_t pid, pid_t helper_tid, const arena::ArenaHeader& live, int timeout_ms = 5000);
  ~ForkCopy();
  ForkCopy(const ForkCopy&) = delete;
  ForkCopy& operator=(const ForkCopy&) = delete;

  pid_t pid() const { return child_; }
  const std::string& why() const { return why_; }
  // drop() tells the copy to end (its helper reaps it).
  void drop();

 private:
  pid_t child_ = 0;
  std::string why_;
};

}  // namespace gleak::inspector
