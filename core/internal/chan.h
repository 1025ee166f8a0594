// core/internal/chan.h — the channel state shared by chan.cc and select.cc.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "arena/layout.h"
#include "core/internal/wait.h"
#include "gleak/detail/chan_base.h"

namespace gleak::detail {

struct ChanState {
  std::atomic<int64_t> refs{1};
  std::atomic<uint32_t> lock{0};
  const ElemOps* ops = nullptr;
  std::size_t elem_stride = 0;
  std::size_t cap = 0;
  std::size_t count = 0;  // buffered elements
  std::size_t sendx = 0;
  std::size_t recvx = 0;
  bool closed = false;
  unsigned char* buf = nullptr;
  internal::WaitList recvq;
  internal::WaitList sendq;
  arena::ObjectRecord* probe = nullptr;

  void* slot(std::size_t i) { return buf + i * elem_stride; }
};

}  // namespace gleak::detail

namespace gleak::internal {

using detail::ChanState;

// The steps of a channel operation, with c->lock held. Each returns true when the
// operation completed; *wake is set to a waiter to wake after unlocking.
bool chan_try_send_locked(ChanState* c, void* elem, Waiter** wake);
bool chan_try_recv_locked(ChanState* c, void* out, bool* ok, Waiter** wake);

}  // namespace gleak::internal
