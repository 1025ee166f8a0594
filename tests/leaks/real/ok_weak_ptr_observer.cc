// Look-alike of a dropped connection: the connection's reader waits on its inbox and
// holds the only shared_ptr to the connection; main keeps just a std::weak_ptr and, every
// 3 s, locks it and delivers a frame (lock() succeeds since the reader owns the object).
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Conn {
  std::string peer;
  gleak::Chan<std::string> inbox{0};
  long bytes = 0;
};

}  // namespace

int main() {
  return gleak::run([] {
    std::weak_ptr<Conn> observer;
    {
      auto c = std::make_shared<Conn>();
      c->peer = "192.0.2.10:443";
      observer = c;
      gleak::go([c] {
        for (std::string& f : c->inbox) c->bytes += static_cast<long>(f.size());
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) {
        if (auto c = observer.lock()) c->inbox.send("frame " + std::to_string(tick));
      }
    }
  });
}
