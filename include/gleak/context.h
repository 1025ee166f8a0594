// gleak/context.h — cancellation and deadlines (Go's context package).
//
// A Context is a copyable handle. done() is a channel that is closed when the context
// is cancelled or its deadline passes; err() is then context_canceled() or
// deadline_exceeded(), and empty (false) before. Cancelling a context cancels every
// context derived from it.
#pragma once

#include <memory>
#include <optional>

#include "gleak/chan.h"
#include "gleak/runtime.h"
#include "gleak/time.h"

namespace gleak {

namespace detail {
struct ContextState;
}

// context_canceled() is the error of a cancelled context: "context canceled".
const Error& context_canceled();
// deadline_exceeded() is the error of an expired context: "context deadline exceeded".
const Error& deadline_exceeded();

class Context {
 public:
  // Context() is background(): never cancelled, no deadline.
  Context() = default;
  Context(const Context&) = default;
  Context& operator=(const Context&) = default;
  Context(Context&& o) noexcept : s_(std::move(o.s_)) { detail::touched(&o.s_); }
  Context& operator=(Context&& o) noexcept {
    s_ = std::move(o.s_);
    detail::touched(&o.s_);
    return *this;
  }
  // A destroyed Context leaves no address behind (detail::forget()).
  ~Context() {
    s_.reset();
    detail::touched(&s_);
  }

  // done() is closed once the context is cancelled. For background() it is the nil
  // channel, which never becomes ready, as in Go.
  Chan<Unit> done() const;
  // err() is empty while the context is live, then why it ended.
  Error err() const;
  // deadline() is when the context expires, if it has a deadline.
  std::optional<TimePoint> deadline() const;

 private:
  friend struct detail::ContextState;
  explicit Context(std::shared_ptr<detail::ContextState> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::ContextState> s_;
};

// CancelFunc cancels the context it came with; calling it again does nothing.
class CancelFunc {
 public:
  CancelFunc() = default;
  CancelFunc(const CancelFunc&) = default;
  CancelFunc& operator=(const CancelFunc&) = default;
  CancelFunc(CancelFunc&& o) noexcept : s_(std::move(o.s_)) { detail::touched(&o.s_); }
  CancelFunc& operator=(CancelFunc&& o) noexcept {
    s_ = std::move(o.s_);
    detail::touched(&o.s_);
    return *this;
  }
  ~CancelFunc() {
    s_.reset();
    detail::touched(&s_);
  }
  void operator()() const;

 private:
  friend struct detail::ContextState;
  explicit CancelFunc(std::shared_ptr<detail::ContextState> s) : s_(std::move(s)) {}
  std::shared_ptr<detail::ContextState> s_;
};

// WithCancel is what with_cancel() and with_timeout() return: `auto [ctx, cancel] = …`.
struct WithCancel {
  Context ctx;
  CancelFunc cancel;
};

// background() is the root context.
Context background();
// with_cancel() derives a context that ends when cancel() is called or parent ends.
WithCancel with_cancel(const Context& parent);
// with_deadline() also ends at `deadline` with deadline_exceeded().
WithCancel with_deadline(const Context& parent, TimePoint deadline);
// with_timeout() is with_deadline(parent, now + d).
WithCancel with_timeout(const Context& parent, Duration d);

}  // namespace gleak
