// core/panic.cc — panic, recover, Error and the GoroutineState names.
#include <cxxabi.h>

#include <string>

#include "core/internal/crash.h"
#include "core/internal/g.h"
#include "core/internal/sched.h"
#include "gleak/runtime.h"

namespace gleak {

const std::string& Error::message() const {
  static const std::string empty;
  return msg_ ? *msg_ : empty;
}

Panic::Panic(std::string message) : message_(std::move(message)), goroutine_(goroutine_id()) {
  uintptr_t pcs[64];
  int n = internal::capture_stack(pcs, 64);
  stack_.assign(pcs, pcs + n);
}

void panic(std::string message) { throw Panic(std::move(message)); }

std::optional<PanicInfo> recover(const std::function<void()>& fn) {
  try {
    fn();
    return std::nullopt;
  } catch (const Panic& p) {
    return PanicInfo{p.what(), p.goroutine(), p.stack()};
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation is not a panic
  } catch (const std::exception& e) {
    return PanicInfo{e.what(), goroutine_id(), {}};
  } catch (...) {
    return PanicInfo{"unknown exception", goroutine_id(), {}};
  }
}

}  // namespace gleak

namespace gleak::internal {

const char* wait_reason_name(WaitReason r) {
  switch (r) {
    case WaitReason::kNone: return "";
    case WaitReason::kChanSend: return "chan send";
    case WaitReason::kChanReceive: return "chan receive";
    case WaitReason::kChanSendNil: return "chan send (nil chan)";
    case WaitReason::kChanReceiveNil: return "chan receive (nil chan)";
    case WaitReason::kSelect: return "select";
    case WaitReason::kSelectNoCases: return "select (no cases)";
    case WaitReason::kMutexLock: return "sync.Mutex.Lock";
    case WaitReason::kRWMutexRLock: return "sync.RWMutex.RLock";
    case WaitReason::kRWMutexLock: return "sync.RWMutex.Lock";
    case WaitReason::kWaitGroupWait: return "sync.WaitGroup.Wait";
    case WaitReason::kCondWait: return "sync.Cond.Wait";
    case WaitReason::kSleep: return "sleep";
    case WaitReason::kSyscall: return "syscall";
  }
  return "?";
}

const char* g_state_name(GState s) {
  switch (s) {
    case GState::kFree: return "free";
    case GState::kRunnable: return "runnable";
    case GState::kRunning: return "running";
    case GState::kWaiting: return "waiting";
    case GState::kSyscall: return "syscall";
    case GState::kDead: return "dead";
  }
  return "?";
}

}  // namespace gleak::internal
