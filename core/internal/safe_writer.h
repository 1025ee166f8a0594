// core/internal/safe_writer.h — text without allocation: Writer, which formats a crash
// report into a fixed buffer. It is async-signal-safe (a signal handler uses it), except
// with a std::string sink, which only code off the signal path gives it.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace gleak::internal {

// ---- text without allocation ----------------------------------------------------------

// Writer appends text to a fixed buffer. With an fd it writes the buffer out whenever
// it fills up; without, text past the capacity is dropped. Everything here is
// async-signal-safe: a signal handler formats its report with it.
class Writer {
 public:
  Writer(char* buf, std::size_t cap, int fd) : buf_(buf), cap_(cap), fd_(fd) {}
  // With a sink (not async-signal-safe), a full buffer is appended to *sink.
  Writer(char* buf, std::size_t cap, std::string* sink) : buf_(buf), cap_(cap), fd_(-1), sink_(sink) {}
  ~Writer() { flush(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Writer& str(const char* s, std::size_t n) {
    while (n > 0) {
      if (n_ + 1 >= cap_) {
        if (fd_ < 0 && sink_ == nullptr) break;
        flush();
      }
      std::size_t k = std::min(n, cap_ - 1 - n_);
      std::memcpy(buf_ + n_, s, k);
      n_ += k;
      s += k;
      n -= k;
    }
    buf_[n_] = '\0';
    return *this;
  }
  Writer& str(const char* s) { return str(s, std::strlen(s)); }
  Writer& str(const std::string& s) { return str(s.data(), s.size()); }
  Writer& ch(char c) { return str(&c, 1); }
  Writer& dec(int64_t v) {
    char tmp[24];
    int i = sizeof tmp;
    bool neg = v < 0;
    uint64_t u = neg ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      tmp[--i] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (neg) tmp[--i] = '-';
    return str(tmp + i, sizeof tmp - i);
  }
  Writer& hex(uint64_t v) {
    char tmp[20];
    int i = sizeof tmp;
    do {
      tmp[--i] = "0123456789abcdef"[v & 15];
      v >>= 4;
    } while (v != 0);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    return str(tmp + i, sizeof tmp - i);
  }
  void flush() {
    if (sink_ != nullptr) {
      sink_->append(buf_, n_);
      n_ = 0;
      buf_[0] = '\0';
      return;
    }
    if (fd_ < 0) return;
    const char* p = buf_;
    std::size_t left = n_;
    while (left > 0) {
      ssize_t w = write(fd_, p, left);
      if (w <= 0) break;
      p += w;
      left -= static_cast<std::size_t>(w);
    }
    n_ = 0;
    buf_[0] = '\0';
  }

 private:
  char* buf_;
  std::size_t cap_;
  int fd_;
  std::string* sink_ = nullptr;
  std::size_t n_ = 0;
};

// copy_text() copies src into dst, cut to fit its cap bytes and NUL-terminated.
inline void copy_text(char* dst, std::size_t cap, const char* src) {
  std::size_t n = strnlen(src, cap - 1);
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

}  // namespace gleak::internal
