// inspector/read/unwind.h — stacks of goroutines in another process.
//
// A parked goroutine is unwound from the context it saved when it parked (rip and rbp
// at fixed offsets, arena_layout.h) by following frame pointers through a copy of its
// stack: one process_vm_readv for up to 1024 goroutines, no system call per frame.
// gleak and code built against gleak::runtime keep frame pointers. A running goroutine
// was stopped at an arbitrary instruction, possibly in code without frame pointers, so
// its thread is unwound with libunwind from the thread's registers, using DWARF CFI.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gleak::inspector {

// walk_frame_pointers() returns rip and then the return addresses found by following
// rbp through `copy`, a copy of the target's stack bytes [base, base + size).
std::vector<uint64_t> walk_frame_pointers(uint64_t rip, uint64_t rbp, const char* copy, uint64_t base, std::size_t size,
                                          std::size_t max_frames);

// unwind_stopped_thread() unwinds a ptrace-stopped thread with libunwind; empty on
// failure.
std::vector<uint64_t> unwind_stopped_thread(pid_t tid, std::size_t max_frames);

}  // namespace gleak::inspector
