// core/panic.cc — panic, recover, Error and the GoroutineState names.
#include <cxxabi.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>

#include "core/internal/crash.h"
#include "core/internal/sched.h"
#include "symbolize/symbolize.h"
#include "gleak/runtime.h"

namespace gleak {

namespace {

// stack_from() is the calling stack from the return address `site` on; all of it when
// `site` is not on it (a frame the compiler merged away).
std::vector<uintptr_t> stack_from(const void* site) {
  uintptr_t pcs[64];
  int n = internal::capture_stack_from(site, pcs, 64);
  return std::vector<uintptr_t>(pcs, pcs + n);
}

// The panics alive on this thread, oldest first: a panic that escapes a destructor
// while another unwinds ends in std::terminate with neither of them caught, and the
// crash report wants both. The slots keep copies, never pointers to follow: a Panic
// destroyed on another thread (an exception_ptr handed over) leaves a stale slot here,
// which can only make a report name a panic too many, not read freed memory.
constexpr int kInFlight = 8;
thread_local internal::PanicCopy t_panics[kInFlight];
thread_local int t_npanics = 0;

void track(const Panic* p) {
  if (t_npanics == kInFlight) {
    for (int k = 0; k + 1 < kInFlight; ++k) t_panics[k] = t_panics[k + 1];
    --t_npanics;
  }
  internal::PanicCopy& c = t_panics[t_npanics++];
  c.owner = p;
  std::size_t n = std::min(std::strlen(p->what()), sizeof c.message - 1);
  std::memcpy(c.message, p->what(), n);
  c.message[n] = '\0';
  c.nframes = static_cast<int>(std::min<std::size_t>(p->stack().size(), std::size(c.frames)));
  std::copy(p->stack().begin(), p->stack().begin() + c.nframes, c.frames);
}

void untrack(const Panic* p) {
  for (int i = t_npanics; i-- > 0;) {
    if (t_panics[i].owner != p) continue;
    for (int k = i; k + 1 < t_npanics; ++k) t_panics[k] = t_panics[k + 1];
    --t_npanics;
    return;
  }
}

}  // namespace

namespace internal {

int panics_in_flight(const PanicCopy** out, int max) {
  int n = std::min(max, t_npanics);
  for (int i = 0; i < n; ++i) out[i] = &t_panics[t_npanics - n + i];
  return n;
}

}  // namespace internal

const std::string& Error::message() const {
  static const std::string empty;
  return msg_ ? *msg_ : empty;
}

[[gnu::noinline]] Panic::Panic(std::string message)
    : message_(std::move(message)), goroutine_(goroutine_id()), stack_(stack_from(__builtin_return_address(0))) {
  track(this);
}

Panic::Panic(std::string message, const void* site)
    : message_(std::move(message)), goroutine_(goroutine_id()), stack_(stack_from(site)) {
  track(this);
}

Panic::Panic(const Panic& other)
    : std::exception(other), message_(other.message_), goroutine_(other.goroutine_), stack_(other.stack_) {
  track(this);
}

Panic::~Panic() { untrack(this); }

[[gnu::noinline]] void panic(std::string message) { throw Panic(std::move(message), __builtin_return_address(0)); }

[[gnu::noinline]] std::optional<PanicInfo> recover(const std::function<void()>& fn) {
  // Where recover() was called: the frame that stopped the panic.
  auto site = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
  try {
    fn();
    return std::nullopt;
  } catch (const Panic& p) {
    internal::note_recover(p.what(), "", p.stack().data(), p.stack().size(), site);
    return PanicInfo{p.what(), p.goroutine(), p.stack()};
  } catch (abi::__forced_unwind&) {
    throw;  // thread cancellation is not a panic
  } catch (const std::exception& e) {
    std::string type = symbolize::demangle(typeid(e).name());
    internal::note_recover(e.what(), type.c_str(), nullptr, 0, site);
    return PanicInfo{e.what(), goroutine_id(), {}};
  } catch (...) {
    std::string type;
    if (const std::type_info* ti = abi::__cxa_current_exception_type()) type = symbolize::demangle(ti->name());
    std::string msg = "exception of type " + (type.empty() ? std::string("unknown") : type);
    internal::note_recover(msg.c_str(), type.c_str(), nullptr, 0, site);
    return PanicInfo{msg, goroutine_id(), {}};
  }
}

}  // namespace gleak
