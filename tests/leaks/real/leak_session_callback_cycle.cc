// Reference cycle: a Session stores an on_message std::function that captures a
// shared_ptr to the Session itself, so the Session is never freed. Its dispatcher
// goroutine waits on the session's events channel; the accept loop dropped the
// session after the client disconnected. Memory leak and goroutine leak at once: the
// Session is still allocated, but nothing that can run reaches it.
// gleak-expect: leaked 1 Session chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Session : std::enable_shared_from_this<Session> {
  std::string peer;
  gleak::Chan<std::string> events{0};
  std::function<void(const std::string&)> on_message;
  long handled = 0;

  void start() {
    auto self = shared_from_this();
    on_message = [self](const std::string& m) { self->handled += static_cast<long>(m.size()); };  // cycle
    gleak::go([events = events, cb = on_message] {
      for (std::string& e : events) cb(e);
    });
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    long accepted = 0;
    {
      auto s = std::make_shared<Session>();
      s->peer = "203.0.113.9:51234";
      s->start();
      s->events.send("HELLO");
      ++accepted;
      // The client disconnects; BUG: events is not closed and the cycle keeps s alive.
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      accepted += tick % 2;
      if (tick % 1000 == 999) std::printf("accepted %ld\n", accepted);
    }
  });
}
