// Look-alike of cockroach1462, heap-shared: a collector waits on a Batch's WaitGroup
// (std::shared_ptr) whose workers are blocked on the batch's `release` channel. Unlike
// the leak, the Batch is also held by release_timer(), a live goroutine sleeping in a
// timer loop, which closes `release` when it stops. Main holds no part of the Batch.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Batch {
  gleak::WaitGroup pending;
  gleak::Chan<gleak::Unit> release{0};
};

void batch_item(std::shared_ptr<Batch> b, int id, gleak::WaitGroup* started) {
  started->done();
  b->release.recv();
  std::printf("item %d released\n", id);
  b->pending.done();
}

void collect_batch(std::shared_ptr<Batch> b, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  b->pending.wait();
  std::printf("batch complete\n");
  all->done();
}

void release_timer(std::shared_ptr<Batch> b, std::atomic<bool>* stop, gleak::WaitGroup* all) {
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));
  b->release.close();
  all->done();
}

[[gnu::noinline]] void start_batch(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  auto b = std::make_shared<Batch>();
  b->pending.add(3);
  for (int i = 0; i < 3; ++i) gleak::go(batch_item, b, i, started);
  gleak::go(collect_batch, b, started, all);
  gleak::go(release_timer, b, stop, all);
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(4, 2, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    start_batch(stop, ready, all);
  });
}
