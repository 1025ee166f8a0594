// syncthing5795 — Close waits for the dispatcher loop to stop, but never tells it to.
// dispatch_loop() handles messages until its inbox is closed, then closes `stopped`.
// close_service() waits on `stopped` without closing the inbox first: the loop waits
// for a message, Close waits for the loop. Both hold only each other's channels.
// gleak-expect: leaked 1 dispatch_loop chan receive
// gleak-expect: leaked 1 close_service chan receive
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

void dispatch_loop(gleak::Chan<int> inbox, gleak::Chan<gleak::Unit> stopped, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the loop never ends
  for (int m : inbox) std::printf("message %d\n", m);
  stopped.close();
}

void close_service(gleak::Chan<gleak::Unit> stopped, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  stopped.recv();   // BUG: the inbox was never closed
  std::printf("closed\n");
}

[[gnu::noinline]] void start_service(gleak::WaitGroup* reached) {
  gleak::Chan<int> inbox(0);
  gleak::Chan<gleak::Unit> stopped(0);
  gleak::go(dispatch_loop, inbox, stopped, reached);
  gleak::go(close_service, stopped, reached);
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    start_service(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
