// Look-alike of a lock leak: request goroutines wait for the store's mutex, which the
// compaction goroutine holds for a long time (it sleeps between chunks with the lock
// held). The compactor is alive and holds the store, so it will unlock: not a leak, only
// contention. main dropped its handle to the store.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Store {
  gleak::Mutex mu;
  std::vector<long> segments;
};

void compact(std::shared_ptr<Store> s) {
  for (;;) {
    s->mu.lock();
    for (int chunk = 0; chunk < 100; ++chunk) {
      gleak::sleep(50ms);  // rewrite one chunk, lock held
      if (!s->segments.empty()) s->segments.back() += chunk;
    }
    s->mu.unlock();
    gleak::sleep(1ms);
  }
}

void put(std::shared_ptr<Store> s, long v) {
  for (;;) {
    s->mu.lock();
    s->segments.push_back(v);
    s->mu.unlock();
    gleak::sleep(10ms);
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto store = std::make_shared<Store>();
      gleak::go(compact, store);
      gleak::go(put, store, 1L);
      gleak::go(put, store, 2L);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long ticks = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      ticks += tick % 2;
      if (tick % 1000 == 999) std::printf("ticks %ld\n", ticks);
    }
  });
}
