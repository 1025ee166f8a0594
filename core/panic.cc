// core/panic.cc — panic, recover, Error and the GoroutineState names.
#include <cxxabi.h>

#include <string>

#include "core/internal/crash.h"
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
    // The first frames are the Panic constructor and gleak::panic; past them, the
    // throw site.
    internal::note_recover(p.stack().size() > 2 ? p.stack()[2] : 0);
    return PanicInfo{p.what(), p.goroutine(), p.stack()};
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation is not a panic
  } catch (const std::exception& e) {
    internal::note_recover(0);
    return PanicInfo{e.what(), goroutine_id(), {}};
  } catch (...) {
    internal::note_recover(0);
    return PanicInfo{"unknown exception", goroutine_id(), {}};
  }
}

}  // namespace gleak

