// A connection state machine kept in a std::variant<Idle, Dialing, Connected>. Dialing
// owns the unbuffered channel the dial goroutine reports on; poll() (from main's loop)
// gives up after the dial timeout and moves to Idle with backoff, destroying Dialing
// and its handle on the channel. The slow dial later completes and blocks for ever
// sending its result.
// gleak-expect: leaked 1 dial_backend chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>

using namespace std::chrono_literals;

namespace {

struct DialResult {
  int fd = -1;
  std::string err;
};

void dial_backend(std::string addr, gleak::Duration rtt, gleak::Chan<DialResult> out) {
  gleak::sleep(rtt);  // TCP + TLS handshake
  out.send(DialResult{static_cast<int>(addr.size()), {}});
}

struct Idle {
  int backoff_ticks = 0;
};
struct Dialing {
  gleak::Chan<DialResult> result{0};
  gleak::TimePoint deadline;
};
struct Connected {
  int fd;
};

class Upstream {
 public:
  explicit Upstream(std::string addr) : addr_(std::move(addr)) {}

  void poll() {
    if (auto* idle = std::get_if<Idle>(&state_)) {
      if (idle->backoff_ticks-- > 0) return;
      Dialing d;
      d.deadline = gleak::Clock::now() + 10ms;
      gleak::go(dial_backend, addr_, attempts_++ == 0 ? gleak::Duration(60ms) : gleak::Duration(1ms), d.result);
      state_ = std::move(d);
    } else if (auto* dialing = std::get_if<Dialing>(&state_)) {
      std::optional<DialResult> r;
      gleak::select(gleak::recv_case(dialing->result, [&](std::optional<DialResult> v) { r = std::move(v); }),
                    gleak::default_case([] {}));
      if (r) {
        state_ = Connected{r->fd};
      } else if (gleak::Clock::now() > dialing->deadline) {
        state_ = Idle{5};  // BUG: the dial goroutine still sends on Dialing::result
      }
    }
  }
  bool connected() const { return std::holds_alternative<Connected>(state_); }

 private:
  std::string addr_;
  int attempts_ = 0;
  std::variant<Idle, Dialing, Connected> state_;
};

}  // namespace

int main() {
  return gleak::run([] {
    Upstream up("auth.internal:9443");
    std::printf("ready\n");
    std::fflush(stdout);
    long served = 0, rejected = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      up.poll();
      (up.connected() ? served : rejected) += 1;
      if (tick % 1000 == 999) std::printf("served %ld rejected %ld\n", served, rejected);
    }
  });
}
