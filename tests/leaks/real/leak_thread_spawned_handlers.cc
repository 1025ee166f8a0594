// A plain std::thread (the callback thread of a native file-watch library) starts one
// goroutine per changed file; each handler reports on the thread's unbuffered ack
// channel. The thread takes the first ack, decides that a full rescan is due instead and
// returns; the channel lived on its stack. The other two handlers wait in send for ever.
// gleak-expect: leaked 2 handle_change chan send
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Ack {
  std::string path;
  bool dirty = false;
};

void handle_change(std::string path, gleak::Chan<Ack> acks) {
  Ack a{path, path.size() % 2 == 0};
  acks.send(std::move(a));
}

}  // namespace

int main() {
  return gleak::run([] {
    auto rescans = std::make_shared<std::atomic<int>>(0);
    std::thread([rescans] {
      gleak::Chan<Ack> acks(0);
      std::vector<std::string> changed = {"src/main.cc", "src/util.h", "BUILD"};
      for (const std::string& p : changed) gleak::go(handle_change, p, acks);
      if (auto first = acks.recv()) {
        ++*rescans;  // a change came in while scanning: schedule a full rescan, stop here
      }
    }).detach();
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("rescans %d\n", rescans->load());
    }
  });
}
