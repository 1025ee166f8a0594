// select with no cases blocks forever (Go's `select {}`).
// A service's serve loop starts its listeners in goroutines and parks itself with an
// empty select, copying the idiom from a main(); here it runs in a goroutine, and once
// its listeners are gone (none started) it is stuck for good: `select (no cases)`.
// gleak-expect: leaked 1 serve_forever select (no cases)
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

void serve_forever(int listeners, gleak::WaitGroup* reached) {
  std::printf("serving on %d listeners\n", listeners);
  reached->done();  // test handshake: the next line never returns
  gleak::select();  // BUG: `select {}` in a goroutine
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(serve_forever, 0, &reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
