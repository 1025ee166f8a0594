// Look-alike of cockroach13197: a goroutine waits on ctx.done() and the CancelFunc is
// dropped — but the context has a 2 s timeout, and its timer (alive, in the runtime's
// timer heap) will cancel it. Nothing else holds the context. On SIGTERM main just waits
// for the deadline to fire (at most 2 s after start).
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <chrono>
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

void await_deadline(gleak::Context ctx, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  ctx.done().recv();
  std::printf("request ended: %s\n", ctx.err().message().c_str());
  all->done();
}

[[gnu::noinline]] void start_request(gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::WithCancel req = gleak::with_timeout(gleak::background(), std::chrono::seconds(2));
  gleak::go(await_deadline, req.ctx, started, all);
  // req.cancel is dropped: the timer still ends the context.
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    start_request(&started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
