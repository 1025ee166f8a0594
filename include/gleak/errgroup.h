// gleak/errgroup.h — a group of goroutines working on one task (Go's
// golang.org/x/sync/errgroup).
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "gleak/chan.h"
#include "gleak/context.h"
#include "gleak/runtime.h"
#include "gleak/sync.h"

namespace gleak {

// ErrGroup runs functions that return an Error in goroutines and waits for them; the
// first non-empty Error wins and, for a group made by with_context(), cancels the
// group's context. An ErrGroup is a handle: copies refer to the same group.
class ErrGroup {
 public:
  ErrGroup() : s_(std::make_shared<State>()) {}

  struct WithContext;
  // with_context() makes a group whose context is cancelled by the first error or by
  // wait() returning: `auto [group, ctx] = ErrGroup::with_context(parent);`.
  static WithContext with_context(const Context& parent);

  // go() runs f() (returning Error, or void for "no error") in a new goroutine. With a
  // limit set, it blocks while `limit` goroutines of the group are running.
  template <class F>
  [[gnu::always_inline]] inline void go(F&& f) {
    if (s_->sem.cap() > 0) s_->sem.send(Unit{});
    s_->wg.add(1);
    gleak::go(
        [s = s_](std::decay_t<F> fn) {
          Error e;
          if constexpr (std::is_void_v<std::invoke_result_t<std::decay_t<F>&>>) {
            fn();
          } else {
            e = fn();
          }
          s->finish(std::move(e));
        },
        std::forward<F>(f));
  }

  // wait() blocks until every goroutine of the group has returned, then returns the
  // first error.
  Error wait() {
    s_->wg.wait();
    if (s_->has_cancel) s_->cancel();
    std::lock_guard<Mutex> g(s_->mu);
    return s_->err;
  }

  // set_limit() bounds the number of goroutines running at once; call it before go().
  void set_limit(int n) { s_->sem = n > 0 ? Chan<Unit>(static_cast<std::size_t>(n)) : Chan<Unit>(); }

 private:
  struct State {
    WaitGroup wg;
    Mutex mu;
    Error err;
    bool has_cancel = false;
    CancelFunc cancel;
    Chan<Unit> sem;
    void finish(Error e) {
      if (e) {
        std::lock_guard<Mutex> g(mu);
        if (!err) {
          err = std::move(e);
          if (has_cancel) cancel();
        }
      }
      if (sem.cap() > 0) sem.recv();
      wg.done();
    }
  };
  std::shared_ptr<State> s_;
};

struct ErrGroup::WithContext {
  ErrGroup group;
  Context ctx;
};

inline ErrGroup::WithContext ErrGroup::with_context(const Context& parent) {
  auto [ctx, cancel] = with_cancel(parent);
  ErrGroup g;
  g.s_->has_cancel = true;
  g.s_->cancel = cancel;
  return {g, ctx};
}

}  // namespace gleak
