// inspector/read/reader.h — building a Snapshot from a process or an arena file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "inspector/snapshot.h"

namespace gleak::inspector {

class ArenaFile;
class ParkedStacks;
class Symbols;

struct ReadOptions {
  // consistent: stop a live target (ptrace) while it is read, so that every record and
  // stack is from the same instant and running goroutines can be unwound. Without it
  // the target runs on and what is read may be slightly out of step.
  bool consistent = true;
  bool symbolize = true;
  bool stacks = true;   // read goroutine stacks (ps and counts need none)
  // counts_only: count the goroutines (Snapshot::counts) and read the totals, nothing
  // else: no Goroutine, stack, event, object or symbol, and never a stop. For listings
  // and metrics of many large processes.
  bool counts_only = false;
  bool events = true;
  bool objects = true;
  // memory: copy the target's writable memory while it is stopped (memory_image.h),
  // for the leak analysis. Live targets only; needs stacks.
  bool memory = false;
  // fork_copy: with memory, have the stopped target fork a frozen copy-on-write copy of
  // itself (fork_copy.h) and let it go on at once: the memory is then read from the
  // copy, and the target is stopped for its records, registers and the fork, not for
  // the whole copy. When the copy cannot be made, the stopped target is read instead.
  bool fork_copy = true;
  std::size_t max_frames = 64;
  // symbols: reuse this symbolizer of the target (from make_symbols()) instead of
  // reading its binaries' symbols again; for a view that reads the same live process
  // every second. It knows the modules mapped when it was made.
  std::shared_ptr<Symbols> symbols;
  // parked_stacks: reuse the stacks that reads of the same live process with this
  // cache (from make_parked_stacks()) walked, of goroutines parked since: a parked
  // goroutine cannot move, and its record's seqlock count says whether it has run
  // since. For a view that reads the same process every second (gleak top). Not used
  // when memory is asked for.
  std::shared_ptr<ParkedStacks> parked_stacks;
  // host_pid: read_file() of a live process's arena takes the pid in its header, which
  // for a process in another pid namespace (a container) is that namespace's; this is
  // its pid here. 0: the header's.
  int host_pid = 0;
};

// make_symbols() is a symbolizer of live process pid, for ReadOptions::symbols.
std::shared_ptr<Symbols> make_symbols(int pid);

// make_parked_stacks() is an empty cache for ReadOptions::parked_stacks;
// parked_stacks_size() is how many stacks it holds.
std::shared_ptr<ParkedStacks> make_parked_stacks();
std::size_t parked_stacks_size(const ParkedStacks& cache);

// read_pid() reads process pid: live, or — when it has died — the arena it left.
// Throws InspectError.
Snapshot read_pid(int pid, const ReadOptions& opt = {});

// read_file() reads an arena file; if its process still runs, it is read live.
Snapshot read_file(const std::string& path, const ReadOptions& opt = {});

// read_open_file() is read_file() of an arena file already open: a reader that reads
// the same arenas again and again (gleak agent) keeps them mapped between reads.
Snapshot read_open_file(ArenaFile& file, const ReadOptions& opt = {});

// read_self() reads the calling process (never stopped: it cannot stop itself).
Snapshot read_self(const ReadOptions& opt = {});

}  // namespace gleak::inspector
