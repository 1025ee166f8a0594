// inspector/read/pipes.h — the bytes waiting in a process's pipes, read without taking
// them.
//
// A program may hand a pointer to another thread by writing it into a pipe (the
// self-pipe handoff of C event loops and resolver libraries). Until the reader takes it,
// the only copy of that pointer is in the kernel's pipe buffer, and the object it points
// at is reachable. The leak analysis scans those bytes as roots (docs/leaks.md).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gleak::inspector {

// PipeBuffer is what one pipe holds: the bytes written into it and not yet read.
struct PipeBuffer {
  uint64_t inode = 0;  // the pipe's inode ("pipe:[inode]" in /proc/<pid>/fd)
  int fd = -1;         // the lowest of the target's descriptors for it
  std::string bytes;
};

struct PipeScan {
  std::vector<PipeBuffer> pipes;  // only those that hold bytes
  std::vector<std::string> notes;  // pipes that could not be read, and why
};

// pending_pipe_bytes() reads every anonymous pipe `pid` holds open (not named FIFOs,
// not sockets) with tee(2) into a pipe of this process: the target's bytes stay where
// they are, in order. Meant for a stopped target: a running one may read or write
// between two steps, and the result is then only a sample. At most `max_bytes` are kept
// in all (a note says when the cap was reached).
PipeScan pending_pipe_bytes(pid_t pid, std::size_t max_bytes);

// pipe_link_inode() parses a /proc/<pid>/fd link, "pipe:[1234]"; 0 for anything else.
uint64_t pipe_link_inode(const std::string& link);

}  // namespace gleak::inspector
