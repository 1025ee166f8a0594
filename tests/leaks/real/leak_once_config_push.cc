// Lazy initialisation through sync.Once whose function waits for the first config push
// from a control-plane stream. The stream object is dropped after a failed handshake
// (it never pushes), so the initialising request waits inside Once for ever and every
// later request blocks on the Once's mutex. The Once lives in a shared_ptr that only
// those request goroutines hold.
// gleak-expect: leaked 1 * chan receive
// gleak-expect: leaked 2 * sync.Mutex.Lock
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ControlStream {
  gleak::Chan<std::string> pushes{1};
  bool handshake_ok = false;
};

struct RouteTable {
  gleak::Once once;
  std::string config;
  gleak::Chan<std::string> first_push;

  const std::string& get() {
    once.call([this] { config = first_push.recv().value_or(""); });
    return config;
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    auto served = std::make_shared<long>(0);
    {
      auto stream = std::make_unique<ControlStream>();
      auto routes = std::make_shared<RouteTable>();
      routes->first_push = stream->pushes;
      for (int i = 0; i < 3; ++i) {
        gleak::go([routes, served, i] {
          if (i > 0) gleak::sleep(2ms);
          const std::string& cfg = routes->get();
          *served += static_cast<long>(cfg.size());
        });
      }
      if (!stream->handshake_ok) stream.reset();  // BUG: requests already wait on its first push
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("served %ld\n", *served);
    }
  });
}
