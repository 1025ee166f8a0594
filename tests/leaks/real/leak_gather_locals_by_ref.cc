// Scatter/gather in a request goroutine whose shard lookups capture the caller's locals
// by reference (`mu`, `wg`, `hits`). The caller holds `mu` across wg.Wait() (the lock
// was meant to guard only the setup), so every shard goroutine blocks appending its
// hits and the caller waits for them for ever. Mutex and WaitGroup live in the caller's
// frame; nothing else refers to them.
// gleak-expect: leaked 3 * sync.Mutex.Lock
// gleak-expect: leaked 1 gather_shards sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::vector<std::string> lookup_shard(int shard, const std::string& term) {
  gleak::sleep(1ms);
  return {term + "@" + std::to_string(shard)};
}

void gather_shards(std::string term, std::shared_ptr<long> answered) {
  gleak::Mutex mu;
  gleak::WaitGroup wg;
  std::vector<std::string> hits;
  std::unique_lock<gleak::Mutex> lk(mu);
  for (int shard = 0; shard < 3; ++shard) {
    wg.add(1);
    gleak::go([&, shard] {
      std::vector<std::string> h = lookup_shard(shard, term);
      std::lock_guard<gleak::Mutex> g(mu);
      hits.insert(hits.end(), h.begin(), h.end());
      wg.done();
    });
  }
  wg.wait();  // BUG: still holding mu
  lk.unlock();
  *answered += static_cast<long>(hits.size());
}

}  // namespace

int main() {
  return gleak::run([] {
    auto answered = std::make_shared<long>(0);
    gleak::go(gather_shards, std::string("kubernetes"), answered);
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("answered %ld\n", *answered);
    }
  });
}
