// Look-alike of a lost Cond signal: consumers wait in cond.Wait() on a queue that no
// goroutine references any more, but a plain std::thread (an I/O thread outside the
// runtime) owns the queue and broadcasts every few seconds when it pushes a batch.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct Queue {
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  std::deque<int> items;
};

void consume(std::shared_ptr<Queue> q, std::shared_ptr<std::atomic<long>> sum) {
  for (;;) {
    q->mu.lock();
    while (q->items.empty()) q->cond.wait();
    *sum += q->items.front();
    q->items.pop_front();
    q->mu.unlock();
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    auto sum = std::make_shared<std::atomic<long>>(0);
    {
      auto q = std::make_shared<Queue>();
      gleak::go(consume, q, sum);
      gleak::go(consume, q, sum);
      std::thread([q] {
        for (int batch = 0;; ++batch) {
          std::this_thread::sleep_for(3s);
          q->mu.lock();
          for (int i = 0; i < 4; ++i) q->items.push_back(batch * 4 + i);
          q->mu.unlock();
          q->cond.broadcast();
        }
      }).detach();
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("sum %ld\n", sum->load());
    }
  });
}
