// Look-alike of leak_cond_queue_producer_exit: request goroutines wait on a Cond until
// the warm-up gate opens; main keeps the gate (shared_ptr) and opens it with Broadcast
// once the cache is warm, after 600 ticks (12 s).
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

using namespace std::chrono_literals;

namespace {

struct Gate {
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  bool open = false;
  void wait() {
    std::lock_guard<gleak::Mutex> g(mu);
    while (!open) cond.wait();
  }
  void open_now() {
    std::lock_guard<gleak::Mutex> g(mu);
    open = true;
    cond.broadcast();
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    auto gate = std::make_shared<Gate>();
    auto served = std::make_shared<long>(0);
    for (int i = 0; i < 2; ++i) {
      gleak::go([gate, served] {
        gate->wait();
        ++*served;
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long warmed = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      warmed += 17;  // load one cache segment
      if (tick == 600) gate->open_now();
      if (tick % 1000 == 999) std::printf("served %ld warmed %ld\n", *served, warmed);
    }
  });
}
