// Look-alike of a lock chain: main takes the store's mutex for a maintenance window
// and holds it (std::unique_lock in its frame) across loop ticks until tick 400. A
// compactor goroutine waits for that mutex and holds the only other handle of the
// `compacted` channel, on which a notifier waits. Both can still run: main will unlock.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Store {
  gleak::Mutex mu;
  long segments = 40;
};

}  // namespace

int main() {
  return gleak::run([] {
    auto store = std::make_shared<Store>();
    std::unique_lock<gleak::Mutex> maintenance(store->mu);
    {
      gleak::Chan<long> compacted(0);
      gleak::go([store, compacted] {
        long n;
        {
          std::lock_guard<gleak::Mutex> g(store->mu);
          n = store->segments / 4;
          store->segments -= n;
        }
        compacted.send(n);
      });
      gleak::go([compacted] {
        std::optional<long> n = compacted.recv();
        std::printf("compacted %ld segments\n", n.value_or(0));
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (maintenance.owns_lock()) store->segments += 1;  // rebuild the index offline
      if (tick == 400) maintenance.unlock();
      if (tick % 1000 == 999) std::printf("segments %ld\n", store->segments);
    }
  });
}
