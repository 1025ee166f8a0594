// Look-alike of producer-outlives-consumer: the producer is blocked sending on an
// unbuffered channel, but its consumer is alive, parked in a timer loop, and will read
// everything once it stops waiting. Only the two goroutines hold the channel.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void produce_batches(gleak::Chan<int> out, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  for (int i = 0; i < 3; ++i) {
    if (i == 0) reached->done();
    out.send(i);
  }
  out.close();
  all->done();
}

void consume_slowly(gleak::Chan<int> in, std::atomic<bool>* stop, gleak::WaitGroup* all) {
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));  // busy elsewhere
  for (int v : in) std::printf("batch %d\n", v);
  all->done();
}

[[gnu::noinline]] void start_batches(std::atomic<bool>* stop, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  gleak::Chan<int> batches(0);
  gleak::go(produce_batches, batches, reached, all);
  gleak::go(consume_slowly, batches, stop, all);
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(1, 2, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    start_batches(stop, ready, all);
  });
}
