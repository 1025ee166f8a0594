// core/context.cc — Context, with_cancel, with_deadline (Go's context package).
#include "gleak/context.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "core/internal/probe.h"
#include "core/internal/sched.h"
#include "core/internal/spinlock.h"
#include "core/internal/timers.h"

namespace gleak {

using namespace internal;

const Error& context_canceled() {
  static const Error e("context canceled");
  return e;
}

const Error& deadline_exceeded() {
  static const Error e("context deadline exceeded");
  return e;
}

namespace {

// Both errors are made when the program starts, from fresh heap memory. Made at the
// first cancel, their blocks could reuse chunks the program had just freed, whose bytes
// the strings leave unused would still hold the program's old pointers: global roots
// for the leak analysis, which would then keep what those pointed to alive.
[[maybe_unused]] const Error* const g_made_early[] = {&context_canceled(), &deadline_exceeded()};

}  // namespace

namespace detail {

struct ContextState : std::enable_shared_from_this<ContextState> {
  SpinLock mu;
  Chan<Unit> done{0};
  Error err;
  std::weak_ptr<ContextState> parent;  // weak: the parent owns its children
  std::vector<std::shared_ptr<ContextState>> children;
  std::optional<TimePoint> deadline;
  Timer* timer = nullptr;  // owned with its arg (a shared_ptr) until stopped or fired
  arena::ObjectRecord* probe = register_object(arena::ObjectKind::kContext, this, nullptr);

  ~ContextState() { unregister_object(probe); }

  static Context make_context(std::shared_ptr<ContextState> s) { return Context(std::move(s)); }
  static CancelFunc make_cancel(std::shared_ptr<ContextState> s) { return CancelFunc(std::move(s)); }
  static const std::shared_ptr<ContextState>& of(const Context& c) { return c.s_; }
  static const std::shared_ptr<ContextState>& of(const CancelFunc& c) { return c.s_; }

  void cancel(const Error& why, bool detach_from_parent) {
    std::vector<std::shared_ptr<ContextState>> kids;
    Timer* t = nullptr;
    {
      std::lock_guard<SpinLock> lk(mu);
      if (err) return;
      err = why;
      update_object(probe, 0, 0, arena::kObjectClosed);
      kids.swap(children);
      t = std::exchange(timer, nullptr);
    }
    done.close();
    for (auto& k : kids) k->cancel(why, false);
    if (t != nullptr && timer_stop(t)) {
      // Stopped before it fired: its callback will not run, so its state is ours.
      delete static_cast<std::shared_ptr<ContextState>*>(t->arg);
      delete t;
    }
    if (detach_from_parent) {
      if (auto p = parent.lock()) p->remove_child(this);
    }
  }

  void remove_child(ContextState* c) {
    std::lock_guard<SpinLock> lk(mu);
    children.erase(std::remove_if(children.begin(), children.end(), [c](auto& k) { return k.get() == c; }),
                   children.end());
  }
};

}  // namespace detail

using detail::ContextState;

namespace {

void fire_deadline(Timer* t, int64_t) {
  auto* sp = static_cast<std::shared_ptr<ContextState>*>(t->arg);
  (*sp)->cancel(deadline_exceeded(), true);
  delete sp;
  delete t;
}

WithCancel derive(const Context& parent_ctx, std::optional<TimePoint> deadline) {
  auto s = std::make_shared<ContextState>();
  const auto& parent = ContextState::of(parent_ctx);
  if (parent) {
    s->deadline = parent->deadline;
    if (deadline && (!s->deadline || *deadline < *s->deadline)) s->deadline = deadline;
  } else {
    s->deadline = deadline;
  }
  Error parent_err;
  if (parent) {
    std::lock_guard<SpinLock> lk(parent->mu);
    if (parent->err) {
      parent_err = parent->err;
    } else {
      parent->children.push_back(s);
      s->parent = parent;
    }
  }
  if (parent_err) {
    s->cancel(parent_err, false);
  } else if (deadline && s->deadline == deadline) {
    int64_t when = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline->time_since_epoch()).count();
    if (when <= now_ns()) {
      s->cancel(deadline_exceeded(), true);
    } else {
      auto* t = new Timer();
      t->when = when;
      t->fire = fire_deadline;
      t->arg = new std::shared_ptr<ContextState>(s);
      bool cancelled;
      {
        std::lock_guard<SpinLock> lk(s->mu);
        cancelled = static_cast<bool>(s->err);
        if (!cancelled) s->timer = t;
      }
      if (cancelled) {
        delete static_cast<std::shared_ptr<ContextState>*>(t->arg);
        delete t;
      } else {
        timer_add(t);
      }
    }
  }
  return {ContextState::make_context(s), ContextState::make_cancel(s)};
}

}  // namespace

Chan<Unit> Context::done() const { return s_ ? s_->done : Chan<Unit>(); }

Error Context::err() const {
  if (!s_) return Error();
  std::lock_guard<SpinLock> lk(s_->mu);
  return s_->err;
}

std::optional<TimePoint> Context::deadline() const { return s_ ? s_->deadline : std::nullopt; }

void CancelFunc::operator()() const {
  if (s_) s_->cancel(context_canceled(), true);
}

Context background() { return Context(); }

WithCancel with_cancel(const Context& parent) { return derive(parent, std::nullopt); }

WithCancel with_deadline(const Context& parent, TimePoint deadline) { return derive(parent, deadline); }

WithCancel with_timeout(const Context& parent, Duration d) { return derive(parent, Clock::now() + d); }

}  // namespace gleak
