// gleak/chan.h — channels and select, with Go's semantics.
//
// Chan<T> is a handle to shared channel state, like Go's `chan T`: copies refer to the
// same channel, and a default-constructed Chan is the nil channel, on which send and
// receive block forever. Blocking operations park the calling goroutine (or block the
// calling plain thread). Every operation is safe to call from any goroutine or thread.
//
// Memory ordering, as in Go's memory model: a send happens before the matching receive
// completes; a close happens before a receive that returns because the channel is
// closed; the k-th receive on a channel of capacity C happens before the (k+C)-th send
// completes.
//
// Panics, as in Go: send on a closed channel ("send on closed channel"), close of a
// closed channel ("close of closed channel"), close of a nil channel ("close of nil
// channel").
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>

#include "gleak/detail/chan_base.h"

namespace gleak {

template <class T>
class Chan {
  static_assert(std::is_move_constructible_v<T>, "channel elements must be move-constructible");

 public:
  using value_type = T;

  // Chan() is the nil channel.
  Chan() = default;
  // Chan(capacity) makes a channel with a buffer of `capacity` elements; 0 makes an
  // unbuffered channel (Go's make(chan T, capacity)).
  explicit Chan(std::size_t capacity) : ref_(detail::chan_make(&detail::kElemOps<T>, capacity)) {}

  // send() delivers v, blocking until a receiver takes it or buffer space is free.
  void send(T v) const { detail::chan_send(ref_.get(), &v); }

  // recv() blocks until a value arrives; it returns nullopt once the channel is closed
  // and drained (Go's `v, ok := <-ch` with ok == false).
  std::optional<T> recv() const {
    detail::Storage<T> slot;
    if (!detail::chan_recv(ref_.get(), slot.ptr())) return std::nullopt;
    return slot.take();
  }

  // close() marks the channel closed: receivers drain the buffer, then get nullopt.
  void close() const { detail::chan_close(ref_.get()); }

  // len() is the number of buffered elements; cap() the buffer's capacity.
  std::size_t len() const { return detail::chan_len(ref_.get()); }
  std::size_t cap() const { return detail::chan_cap(ref_.get()); }

  // is_nil() says whether this is the nil channel.
  bool is_nil() const { return ref_.get() == nullptr; }

  friend bool operator==(const Chan& a, const Chan& b) { return a.ref_.get() == b.ref_.get(); }

  // Range-for receives until the channel is closed and drained (Go's for v := range ch).
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;
    iterator() = default;
    explicit iterator(const Chan* c) : c_(c) { ++*this; }
    T& operator*() { return *cur_; }
    iterator& operator++() {
      cur_ = c_->recv();
      if (!cur_) c_ = nullptr;
      return *this;
    }
    bool operator==(const iterator& o) const { return c_ == o.c_; }
    bool operator!=(const iterator& o) const { return c_ != o.c_; }

   private:
    const Chan* c_ = nullptr;
    std::optional<T> cur_;
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(); }

  // state() is the channel's shared state, for select and diagnostics.
  detail::ChanState* state() const { return ref_.get(); }

 private:
  detail::ChanRef ref_;
};

// make_chan<T>(capacity) is Go's make(chan T, capacity).
template <class T>
Chan<T> make_chan(std::size_t capacity = 0) {
  return Chan<T>(capacity);
}

// recv_case(ch, f) is a select case that receives from ch and calls f(std::optional<T>)
// (nullopt when ch is closed). A nil channel's case is never ready.
template <class T, class F>
auto recv_case(const Chan<T>& ch, F f) {
  return detail::RecvCase<T, F>{ch.state(), std::move(f), {}};
}

// send_case(ch, v, f) is a select case that sends v on ch, then calls f().
template <class T, class U, class F>
auto send_case(const Chan<T>& ch, U&& v, F f) {
  return detail::SendCase<T, F>{ch.state(), T(std::forward<U>(v)), std::move(f)};
}

// default_case(f) makes select non-blocking: f() runs when no other case is ready.
template <class F>
auto default_case(F f) {
  return detail::DefaultCase<F>{std::move(f)};
}

// select(cases...) waits until one case can proceed, then performs it and runs its
// function; when several are ready, one is chosen uniformly at random (Go's select).
// Without a default case it blocks; select() with no cases blocks forever. Returns the
// index of the case that ran.
template <class... Cases>
int select(Cases&&... cases) {
  return detail::select_cases(std::forward<Cases>(cases)...);
}

}  // namespace gleak
