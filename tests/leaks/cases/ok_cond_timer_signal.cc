// Look-alike of a leak: Cond waiters whose signaller is a live goroutine in a timer loop.
// batch_timer() owns a Mutex and a Cond on its stack; two readers wait on the Cond for a
// batch. The timer goroutine sleeps in a loop (alive) and broadcasts when it is told to
// stop, so the Cond waits are not leaked. Main holds neither the mutex nor the Cond.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void await_batch(gleak::Mutex* mu, gleak::Cond* cond, bool* ready, gleak::WaitGroup* reached, gleak::WaitGroup* consumed) {
  mu->lock();
  reached->done();
  while (!*ready) cond->wait();
  mu->unlock();
  consumed->done();
}

void batch_timer(std::atomic<bool>* stop, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  gleak::Mutex mu;
  gleak::Cond cond(mu);
  bool ready = false;
  gleak::WaitGroup consumed;
  consumed.add(2);
  gleak::go(await_batch, &mu, &cond, &ready, reached, &consumed);
  gleak::go(await_batch, &mu, &cond, &ready, reached, &consumed);
  for (;;) {
    gleak::sleep(std::chrono::milliseconds(10));
    if (stop->load()) break;
  }
  mu.lock();
  ready = true;
  cond.broadcast();
  mu.unlock();
  consumed.wait();
  all->done();
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(2, 1, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    gleak::go(batch_timer, stop, ready, all);
  });
}
