// inspector/read/memory.cc — see memory.h.
#include "arena/clock.h"
#include "inspector/read/memory.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "inspector/errors.h"

namespace gleak::inspector {

namespace {

constexpr std::size_t kBatch = 1024;  // IOV_MAX

}  // namespace

void ProcessMemory::read_through_file(std::vector<Range>& ranges) const {
  int fd = ::open(("/proc/" + std::to_string(pid_) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM) {
      throw InspectError(ErrorCode::kPermission, "cannot read the memory of process " + std::to_string(pid_) + ": permission denied");
    }
    throw InspectError(ErrorCode::kNoSuchProcess, "process " + std::to_string(pid_) + " exited while being read");
  }
  for (Range& r : ranges) {
    std::size_t done = 0;
    while (done < r.size) {
      ssize_t got = pread(fd, r.out + done, r.size - done, static_cast<off_t>(r.address + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    r.ok = done == r.size;
  }
  ::close(fd);
}

void ProcessMemory::read_all(std::vector<Range>& ranges) const {
  if (shares_pages_) {
    read_through_file(ranges);
    return;
  }
  std::vector<iovec> local(kBatch), remote(kBatch);
  for (std::size_t first = 0; first < ranges.size(); first += kBatch) {
    std::size_t n = std::min(kBatch, ranges.size() - first);
    for (std::size_t i = 0; i < n; ++i) {
      Range& r = ranges[first + i];
      local[i] = {r.out, r.size};
      remote[i] = {reinterpret_cast<void*>(r.address), r.size};
    }
    std::size_t done = 0;
    while (done < n) {
      ssize_t got = process_vm_readv(pid_, local.data() + done, n - done, remote.data() + done, n - done, 0);
      if (got < 0) {
        if (errno == EPERM) throw InspectError(ErrorCode::kPermission, "cannot read the memory of process " + std::to_string(pid_) + ": permission denied");
        if (errno == ESRCH) throw InspectError(ErrorCode::kNoSuchProcess, "process " + std::to_string(pid_) + " exited while being read");
        // An unreadable range (EFAULT): skip it and go on with the next.
        ++done;
        continue;
      }
      // process_vm_readv stops at the first range it cannot read completely.
      std::size_t bytes = static_cast<std::size_t>(got);
      while (done < n && bytes >= local[done].iov_len) {
        bytes -= local[done].iov_len;
        ranges[first + done].ok = true;
        ++done;
      }
      if (done < n) ++done;  // partially read or failed: leave ok == false
    }
  }
  // The addresses read (goroutine stacks) must not outlive the call in freed heap
  // memory, where a later leak analysis of this same process would take them for
  // references (see wipe() in reader.cc).
  explicit_bzero(static_cast<void*>(remote.data()), remote.size() * sizeof(iovec));
  explicit_bzero(static_cast<void*>(local.data()), local.size() * sizeof(iovec));
}

bool ProcessMemory::read(uint64_t address, void* out, std::size_t size) const {
  iovec l{out, size}, r{reinterpret_cast<void*>(address), size};
  return process_vm_readv(pid_, &l, 1, &r, 1, 0) == static_cast<ssize_t>(size);
}

std::vector<pid_t> threads_of(pid_t pid) {
  std::vector<pid_t> tids;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return tids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  }
  closedir(d);
  std::sort(tids.begin(), tids.end());
  return tids;
}

namespace {

// tracer_of() is the pid tracing tid (TracerPid in /proc/<pid>/task/<tid>/status), or 0.
pid_t tracer_of(pid_t pid, pid_t tid) {
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status";
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return 0;
  char line[256];
  pid_t tracer = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "TracerPid:", 10) == 0) {
      tracer = static_cast<pid_t>(std::atoi(line + 10));
      break;
    }
  }
  std::fclose(f);
  return tracer;
}

// wait_stop() waits for a seized and interrupted thread to stop; false if it exited.
// A signal-delivery stop may come before the interrupt stop: the thread is stopped
// either way, and the signal is kept in *signal to be handed back on detach.
bool wait_stop(pid_t tid, int* signal) {
  for (;;) {
    int status = 0;
    pid_t r = waitpid(tid, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;  // ECHILD: gone
    if (WIFEXITED(status) || WIFSIGNALED(status)) return false;
    if (!WIFSTOPPED(status)) continue;
    *signal = (status >> 16) != PTRACE_EVENT_STOP ? WSTOPSIG(status) : 0;
    return true;
  }
}

}  // namespace

StopTheWorld::StopTheWorld(pid_t pid, pid_t spare) : pid_(pid) {
  started_ns_ = monotonic_ns();
  std::set<pid_t> seized;
  // Threads may start while we seize: repeat until a pass finds no new one. A thread
  // is waited for as soon as it is interrupted, so that every thread we hold is in a
  // stop we can detach from, whatever happens next.
  bool settled = false;
  for (int pass = 0; pass < 10 && !settled; ++pass) {
    settled = true;
    for (pid_t tid : threads_of(pid)) {
      if (seized.count(tid) || tid == spare) continue;
      if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        int e = errno;
        if (e == ESRCH) continue;  // exited meanwhile
        pid_t tracer = e == EPERM ? tracer_of(pid, tid) : 0;
        release();
        if (tracer != 0) {
          throw InspectError(ErrorCode::kIo, "cannot stop process " + std::to_string(pid) + ": it is being traced by pid " +
                                                   std::to_string(tracer) + " (a debugger, or another gleak)");
        }
        if (e == EPERM) {
          throw InspectError(ErrorCode::kPermission, "cannot stop process " + std::to_string(pid) +
                                                         " (ptrace: permission denied; see kernel.yama.ptrace_scope)");
        }
        throw InspectError(ErrorCode::kIo, "cannot stop process " + std::to_string(pid) + ": " + std::strerror(e));
      }
      seized.insert(tid);
      settled = false;
      if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
        ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
        continue;
      }
      int signal = 0;
      if (!wait_stop(tid, &signal)) continue;  // it exited
      tids_.push_back(tid);
      if (signal != 0) pending_signal_[tid] = signal;
      user_regs_struct r;
      if (ptrace(PTRACE_GETREGS, tid, nullptr, &r) == 0) regs_[tid] = r;
    }
  }
  // Threads still appearing after every pass: some may run while we read.
  complete_ = settled;
}

void StopTheWorld::release() {
  if (!held_) return;
  held_ = false;
  for (pid_t tid : tids_) {
    auto it = pending_signal_.find(tid);
    long sig = it == pending_signal_.end() ? 0 : it->second;
    ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(sig));
  }
}

void StopTheWorld::resume() {
  if (!held_) return;
  release();
  resumed_ns_ = monotonic_ns();
}

StopTheWorld::~StopTheWorld() { release(); }

const user_regs_struct* StopTheWorld::regs(pid_t tid) const {
  auto it = regs_.find(tid);
  return it == regs_.end() ? nullptr : &it->second;
}

int64_t StopTheWorld::stopped_ns() const { return (resumed_ns_ ? resumed_ns_ : monotonic_ns()) - started_ns_; }

PopulatedBuffer::PopulatedBuffer(std::size_t size) : size_(size > 0 ? size : 1) {
  void* m = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (m == MAP_FAILED) {
    throw InspectError(ErrorCode::kIo, "out of memory for a copy of " + std::to_string(size_) + " bytes of the target");
  }
  p_ = static_cast<char*>(m);
}

PopulatedBuffer::~PopulatedBuffer() { munmap(p_, size_); }

}  // namespace gleak::inspector
