// Peer set kept in a std::vector<std::shared_ptr<Peer>> that main's gossip loop walks
// every 50 ticks. A peer that fails its handshake is removed with the swap-and-pop
// idiom, but its outbox is not closed: the peer's writer goroutine (which owns a
// reference to the Peer) ranges over the outbox for ever. The vector keeps its
// capacity, so the removed element's bytes stay behind past size() in the live buffer.
// gleak-expect: leaked 1 write_loop chan receive
#include <gleak/gleak.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Peer {
  std::string addr;
  bool handshake_ok = true;
  gleak::Chan<std::string> outbox{4};
  long sent = 0;
};

void write_loop(std::shared_ptr<Peer> p) {
  for (std::string& m : p->outbox) p->sent += static_cast<long>(m.size());  // write to the socket
}

}  // namespace

int main() {
  return gleak::run([] {
    std::vector<std::shared_ptr<Peer>> peers;
    peers.reserve(8);
    for (const char* a : {"10.1.0.1:7946", "10.1.0.2:7946", "10.1.0.3:7946"}) {
      auto p = std::make_shared<Peer>();
      p->addr = a;
      p->handshake_ok = std::string(a) != "10.1.0.3:7946";
      gleak::go(write_loop, p);
      peers.push_back(std::move(p));
    }
    for (std::size_t i = 0; i < peers.size();) {
      if (!peers[i]->handshake_ok) {
        std::swap(peers[i], peers.back());
        peers.pop_back();  // BUG: peers[i]->outbox.close() is missing
      } else {
        ++i;
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 50 == 49)
        for (const auto& p : peers) p->outbox.send("ping " + std::to_string(tick));
      if (tick % 1000 == 999) std::printf("peers %zu\n", peers.size());
    }
  });
}
