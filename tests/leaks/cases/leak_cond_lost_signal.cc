// A Cond signal sent before anyone waits is lost; the waiter has no predicate to check.
// await_first_result() starts a worker, waits for it to start, then waits on the Cond for
// its result. The worker signalled as soon as it had the result, before the Wait, and
// Signal does not remember: the waiter sleeps forever. Mutex and Cond live on the leaked
// goroutine's stack; the worker has exited.
// gleak-expect: leaked 1 await_first_result sync.Cond.Wait
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void compute_result(gleak::Mutex* mu, gleak::Cond* cond, int* result, gleak::WaitGroup* started) {
  mu->lock();
  *result = 42;
  cond->signal();  // no one is waiting yet: the signal is lost
  mu->unlock();
  started->done();
}

void await_first_result(gleak::WaitGroup* reached) {
  gleak::Mutex mu;
  gleak::Cond cond(mu);
  int result = 0;
  gleak::WaitGroup started;
  started.add(1);
  gleak::go(compute_result, &mu, &cond, &result, &started);
  started.wait();
  mu.lock();
  reached->done();  // test handshake: the next line never returns
  cond.wait();      // BUG: should be `while (result == 0) cond.wait();`
  std::printf("result %d\n", result);
  mu.unlock();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(await_first_result, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
