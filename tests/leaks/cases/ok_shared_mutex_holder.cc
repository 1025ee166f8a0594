// Look-alike of a leak, heap-shared: two goroutines wait for a Ledger's mutex
// (std::shared_ptr) held by a third that is itself blocked — on the ledger's `release`
// channel. Main holds the Ledger and closes `release` on SIGTERM: the holder unlocks and
// every wait completes.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Ledger {
  gleak::Mutex mu;
  gleak::Chan<gleak::Unit> release{0};
  int entries = 0;
  gleak::WaitGroup finished;
};

void hold_ledger(std::shared_ptr<Ledger> l, gleak::WaitGroup* locked) {
  l->mu.lock();
  locked->done();
  l->release.recv();
  l->mu.unlock();
  l->finished.done();
}

void post_entry(std::shared_ptr<Ledger> l, gleak::WaitGroup* reached) {
  reached->done();
  l->mu.lock();
  ++l->entries;
  l->mu.unlock();
  l->finished.done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    auto ledger = std::make_shared<Ledger>();
    gleak::WaitGroup locked, reached;
    ledger->finished.add(3);
    locked.add(1);
    gleak::go(hold_ledger, ledger, &locked);
    locked.wait();
    reached.add(2);
    gleak::go(post_entry, ledger, &reached);
    gleak::go(post_entry, ledger, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    ledger->release.close();
    ledger->finished.wait();
    std::printf("%d entries\nclean exit\n", ledger->entries);
    std::fflush(stdout);
    return 0;
  });
}
