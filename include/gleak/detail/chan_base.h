// gleak/detail/chan_base.h — the type-erased channel core behind Chan<T> and select.
// Not part of the public API: names here may change.
#pragma once

#include <cstddef>
#include <new>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace gleak::detail {

// ElemOps tells the untyped channel core how to move and destroy one element.
struct ElemOps {
  std::size_t size;
  std::size_t align;
  void (*move_construct)(void* dst, void* src);  // constructs *dst from std::move(*src)
  void (*destroy)(void* p);
};

template <class T>
inline constexpr ElemOps kElemOps = {
    sizeof(T), alignof(T),
    [](void* dst, void* src) { ::new (dst) T(std::move(*static_cast<T*>(src))); },
    [](void* p) { static_cast<T*>(p)->~T(); }};

struct ChanState;

ChanState* chan_make(const ElemOps* ops, std::size_t capacity);
void chan_retain(ChanState* c) noexcept;
void chan_release(ChanState* c) noexcept;
// chan_send moves *elem into the channel (blocking); nil blocks forever.
void chan_send(ChanState* c, void* elem);
// chan_recv move-constructs a received element at out and returns true, or returns
// false (out untouched) when c is closed and drained; nil blocks forever.
bool chan_recv(ChanState* c, void* out);
void chan_close(ChanState* c);
std::size_t chan_len(const ChanState* c) noexcept;
std::size_t chan_cap(const ChanState* c) noexcept;

// forget() overwrites a handle's pointer bytes at *p with zeros in memory, in a way the
// optimizer cannot drop (the empty asm may read them). A destroyed or moved-from handle
// then leaves no stale copy of the address in the frame it lived in, which would keep
// what it pointed to "reachable" to the leak analysis (docs/leaks.md, handle hygiene).
template <class T>
[[gnu::always_inline]] inline void forget(T* p) noexcept {
  static_assert(std::is_trivially_copyable_v<T>, "forget() clears plain pointer words only");
  *p = T{};
  asm volatile("" : : "r"(p) : "memory");
}

// ChanRef is a counted reference to a ChanState; null is the nil channel. Destroyed or
// moved from, it leaves null behind in memory (forget()).
class ChanRef {
 public:
  ChanRef() = default;
  explicit ChanRef(ChanState* c) : c_(c) {}
  ChanRef(const ChanRef& o) noexcept : c_(o.c_) {
    if (c_) chan_retain(c_);
  }
  ChanRef(ChanRef&& o) noexcept : c_(o.c_) { forget(&o.c_); }
  ChanRef& operator=(ChanRef o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~ChanRef() {
    if (c_) chan_release(c_);
    forget(&c_);
  }
  ChanState* get() const { return c_; }

 private:
  ChanState* c_ = nullptr;
};

// Storage<T> is raw room for one T that a receive constructs.
template <class T>
struct Storage {
  alignas(T) unsigned char buf[sizeof(T)];
  void* ptr() { return buf; }
  T take() {
    T* p = std::launder(reinterpret_cast<T*>(buf));
    T v(std::move(*p));
    p->~T();
    return v;
  }
};

// SelectOp is one non-default select case as the untyped core sees it.
struct SelectOp {
  ChanState* chan;  // null: never ready
  void* elem;       // send: the value to move from; recv: where to construct
  bool is_send;
};

// select_ops waits for one of ops[0..n) (or returns -1 at once if has_default and
// none is ready), performs it and returns its index. For a receive, *recv_ok says
// whether a value was constructed at its elem (false: channel closed).
int select_ops(SelectOp* ops, int n, bool has_default, bool* recv_ok);

template <class T, class F>
struct RecvCase {
  ChanState* chan;
  F fn;
  Storage<T> slot;
  SelectOp op() { return {chan, slot.ptr(), false}; }
  void fire(bool ok) {
    if (ok) {
      fn(std::optional<T>(slot.take()));
    } else {
      fn(std::optional<T>());
    }
  }
};

template <class T, class F>
struct SendCase {
  ChanState* chan;
  T value;
  F fn;
  SelectOp op() { return {chan, &value, true}; }
  void fire(bool) { fn(); }
};

template <class F>
struct DefaultCase {
  F fn;
};

template <class C>
inline constexpr bool kIsDefault = false;
template <class F>
inline constexpr bool kIsDefault<DefaultCase<F>> = true;

template <class... Cases>
int select_cases(Cases&&... cases) {
  constexpr int kDefaults = (0 + ... + (kIsDefault<std::decay_t<Cases>> ? 1 : 0));
  static_assert(kDefaults <= 1, "select takes at most one default_case");
  constexpr int kOps = static_cast<int>(sizeof...(Cases)) - kDefaults;
  SelectOp ops[kOps > 0 ? kOps : 1] = {};
  int case_of_op[kOps > 0 ? kOps : 1] = {};
  int default_index = -1;
  {
    int i = 0, k = 0;
    (
        [&](auto& c) {
          if constexpr (kIsDefault<std::decay_t<decltype(c)>>) {
            default_index = i;
          } else {
            ops[k] = c.op();
            case_of_op[k] = i;
            ++k;
          }
          ++i;
        }(cases),
        ...);
    (void)i, (void)k;
  }
  bool ok = false;
  int chosen_op = select_ops(ops, kOps, kDefaults == 1, &ok);
  int chosen = chosen_op < 0 ? default_index : case_of_op[chosen_op];
  // The cases and their ops are temporaries in the caller's frame: leave no channel
  // address behind in them once the select is done (forget()).
  for (int k = 0; k < kOps; ++k) forget(&ops[k].chan);
  (
      [&](auto& c) {
        if constexpr (!kIsDefault<std::decay_t<decltype(c)>>) forget(&c.chan);
      }(cases),
      ...);
  int i = 0;
  (
      [&](auto& c) {
        if (i++ != chosen) return;
        if constexpr (kIsDefault<std::decay_t<decltype(c)>>) {
          c.fn();
        } else {
          c.fire(ok);
        }
      }(cases),
      ...);
  (void)i;
  return chosen;
}

}  // namespace gleak::detail
