// inspector/read/memory.h — reading another process's memory and stopping it briefly.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gleak::inspector {

// ProcessMemory reads a same-user process's memory with process_vm_readv, or, for a
// frozen copy (fork_copy.h), through /proc/<pid>/mem: process_vm_readv pins the pages
// it reads, and pinning a page the copy shares with its parent makes the kernel copy it
// first (the copy would cost as much memory and time as the process it copies).
class ProcessMemory {
 public:
  explicit ProcessMemory(pid_t pid, bool shares_pages = false) : pid_(pid), shares_pages_(shares_pages) {}

  struct Range {
    uint64_t address;
    std::size_t size;
    char* out;
    bool ok = false;  // set by read_all
  };
  // read_all() reads every range (in batches of up to 1024 per system call); ranges
  // that cannot be read are left with ok == false. Throws InspectError on EPERM.
  void read_all(std::vector<Range>& ranges) const;
  // read() reads one range; false if it cannot be read.
  bool read(uint64_t address, void* out, std::size_t size) const;

 private:
  void read_through_file(std::vector<Range>& ranges) const;
  pid_t pid_;
  bool shares_pages_;
};

// StopTheWorld stops every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT and
// lets them go on destruction (or if this process dies: the kernel detaches). Threads
// are never killed or left stopped.
class StopTheWorld {
 public:
  // Throws InspectError when the process cannot be traced. A `spare` thread (the
  // runtime's fork helper) is left running.
  explicit StopTheWorld(pid_t pid, pid_t spare = 0);
  ~StopTheWorld();
  StopTheWorld(const StopTheWorld&) = delete;
  StopTheWorld& operator=(const StopTheWorld&) = delete;

  // regs() are the registers of a stopped thread, or null.
  const user_regs_struct* regs(pid_t tid) const;
  // stopped_ns() is how long the process has been stopped so far.
  int64_t stopped_ns() const;
  const std::vector<pid_t>& threads() const { return tids_; }
  // complete() is false when threads kept appearing while the process was being
  // stopped: one of them may have run while it was read.
  bool complete() const { return complete_; }
  // resume() lets every thread go on now; threads(), regs() and stopped_ns() still
  // say what they were while stopped.
  void resume();

 private:
  pid_t pid_;
  std::vector<pid_t> tids_;
  std::map<pid_t, user_regs_struct> regs_;
  std::map<pid_t, int> pending_signal_;  // re-delivered on detach
  int64_t started_ns_ = 0;
  int64_t resumed_ns_ = 0;
  bool complete_ = true;
  bool held_ = true;
  void release();  // detaches every stopped thread
};

// PopulatedBuffer is anonymous memory mapped with MAP_POPULATE: page faults one by one
// cost more than the copies made into it. Not zeroed beyond what the kernel gives.
class PopulatedBuffer {
 public:
  // Throws InspectError when the memory cannot be had.
  explicit PopulatedBuffer(std::size_t size);
  ~PopulatedBuffer();
  PopulatedBuffer(const PopulatedBuffer&) = delete;
  PopulatedBuffer& operator=(const PopulatedBuffer&) = delete;
  char* data() { return p_; }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  char* p_;
};

// threads_of() lists the thread ids of a process.
std::vector<pid_t> threads_of(pid_t pid);

}  // namespace gleak::inspector
