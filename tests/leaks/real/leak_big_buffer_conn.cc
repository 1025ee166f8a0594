// A connection object with a large inline read buffer (256 KiB, so malloc serves it
// with its own mmap): its writer goroutine ranges over the connection's outbound queue.
// The accept loop drops the connection after a failed TLS handshake without close(),
// so the writer waits for ever; only the writer holds the connection.
// gleak-expect: leaked 1 write_frames chan receive
#include <gleak/gleak.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Conn {
  std::string remote;
  std::array<char, 256 * 1024> rbuf{};
  gleak::Chan<std::string> outbound{16};
  long written = 0;
};

void write_frames(std::shared_ptr<Conn> c) {
  for (std::string& f : c->outbound) c->written += static_cast<long>(f.size());
}

}  // namespace

int main() {
  return gleak::run([] {
    long rejected = 0;
    {
      auto c = std::make_shared<Conn>();
      c->remote = "203.0.113.77:40022";
      gleak::go(write_frames, c);
      bool handshake_ok = false;  // the client offered no common cipher
      if (!handshake_ok) ++rejected;  // BUG: c->outbound.close() missing on this path
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("rejected %ld\n", rejected);
    }
  });
}
