// Look-alike of a leak: workers blocked on a done channel that main will close.
// Three workers wait on `done`, exactly like a leaked receiver would look in a dump. But
// goroutine 1 (in a blocking system call, alive) holds `done` on its stack and closes it
// on SIGTERM: the waits are completable, so nothing is leaked.
// gleak-expect: none
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

void wait_for_shutdown(int id, gleak::Chan<gleak::Unit> done, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  done.recv();
  std::printf("worker %d stopping\n", id);
  all->done();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::Chan<gleak::Unit> done(0);
    gleak::WaitGroup started, all;
    started.add(3);
    all.add(3);
    for (int i = 0; i < 3; ++i) gleak::go(wait_for_shutdown, i, done, &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    done.close();  // the live holder completes the waits
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
