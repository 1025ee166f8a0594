// Look-alike of the RWR deadlock, heap-shared: a writer is queued behind a read lock and
// a second reader is queued behind the writer, as in cockroach3710. But the read lock is
// held by rebuild_reader(), a live goroutine sleeping in a timer loop that will RUnlock
// when it stops. The Index (std::shared_ptr) is held by the three goroutines only.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Index {
  gleak::RWMutex rw;
  int version = 0;
};

void rebuild_reader(std::shared_ptr<Index> ix, std::atomic<bool>* stop, gleak::WaitGroup* holding, gleak::WaitGroup* all) {
  ix->rw.lock_shared();
  holding->done();
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));
  ix->rw.unlock_shared();
  all->done();
}

void compact_index(std::shared_ptr<Index> ix, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  ix->rw.lock();
  ++ix->version;
  ix->rw.unlock();
  all->done();
}

void query_index(std::shared_ptr<Index> ix, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  ix->rw.lock_shared();
  std::printf("index version %d\n", ix->version);
  ix->rw.unlock_shared();
  all->done();
}

[[gnu::noinline]] void start_index(std::atomic<bool>* stop, gleak::WaitGroup* holding, gleak::WaitGroup* reached,
                                   gleak::WaitGroup* all) {
  auto ix = std::make_shared<Index>();
  holding->add(1);
  gleak::go(rebuild_reader, ix, stop, holding, all);
  holding->wait();
  gleak::go(compact_index, ix, reached, all);
  while (ix->rw.try_lock_shared()) {  // test interleaving: the writer is queued first
    ix->rw.unlock_shared();
    gleak::yield();
  }
  gleak::go(query_index, ix, reached, all);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup holding, reached, all;
    reached.add(2);
    all.add(3);
    start_index(&stop, &holding, &reached, &all);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    stop.store(true);
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
