// gleak/detail/wait.h — the wait queue that every blocking gleak object embeds.
// Not part of the public API: names here may change.
#pragma once

#include <atomic>
#include <cstdint>

namespace gleak::arena {
struct ObjectRecord;
}

namespace gleak::detail {

struct Waiter;

// ProbeRef is a sync object's entry in the probe arena's object table: registered by
// the constructor, released by the destructor.
class ProbeRef {
 public:
  ProbeRef(int kind, const void* object, const void* create_pc);
  ~ProbeRef();
  ProbeRef(const ProbeRef&) = delete;
  ProbeRef& operator=(const ProbeRef&) = delete;
  arena::ObjectRecord* get() const { return rec_; }

 private:
  arena::ObjectRecord* rec_;
};

// WaitQueue is a FIFO of parked goroutines or threads, guarded by its own spin lock.
struct WaitQueue {
  std::atomic<uint32_t> lock{0};
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
};

}  // namespace gleak::detail
