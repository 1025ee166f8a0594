// A Cond signal sent before anyone waits is lost; the waiter has no predicate to check.
// await_first_result() starts a worker, waits for it to start, then waits on the Cond for
// its result. The worker signalled as soon as it had the result, before the Wait, and
// Signal does not remember: the waiter sleeps forever. Mutex and Cond live on the leaked
// goroutine's stack; the worker has exited.
// gleak-expect: leaked 1 await_first_result sync.Cond.Wait
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

namespace {

// ---- harness: print "ready", then wait for SIGTERM/SIGINT (see README.md) -----------
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}
void announce_ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}
// Goroutine 1 waits in a blocking system call (state `syscall`), not on any gleak object.
void await_stop_signal() {
  gleak::blocking([] {
    sigset_t s = stop_signals();
    int sig = 0;
    sigwait(&s, &sig);
  });
}

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(await_first_result, &reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
