// Look-alike of the orphaned-mutex leak: a goroutine locks a mutex and exits, handing
// the unlock to main (Go allows unlocking in another goroutine). wait_turn() waits for
// the mutex; main holds it on its stack and unlocks it on SIGTERM, so the wait completes.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void lock_for_handoff(gleak::Mutex* mu, gleak::WaitGroup* locked) {
  mu->lock();  // main unlocks it
  locked->done();
}

void wait_turn(gleak::Mutex* mu, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  mu->lock();
  std::printf("my turn\n");
  mu->unlock();
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Mutex mu;
    gleak::WaitGroup locked, reached, all;
    locked.add(1);
    gleak::go(lock_for_handoff, &mu, &locked);
    locked.wait();
    reached.add(1);
    all.add(1);
    gleak::go(wait_turn, &mu, &reached, &all);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    mu.unlock();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
