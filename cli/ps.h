// cli/ps.h — `gleak ps`: the processes whose arenas the caller may read, and pruning the
// arenas that dead processes left behind.
#pragma once

#include <cstdint>

namespace gleak::cli {

struct PsOptions {
  bool json = false;
  // Remove the arenas of processes that are gone (crashed, killed, or kept at exit),
  // only those last written at least older_than_ns ago.
  bool prune = false;
  int64_t older_than_ns = 0;
};

// run_ps() lists the caller's processes (as root, every user's) and returns the exit
// status: 0, or 7 when an arena to prune could not be removed.
int run_ps(const PsOptions& opt);

}  // namespace gleak::cli
