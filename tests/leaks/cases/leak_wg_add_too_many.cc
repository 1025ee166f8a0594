// WaitGroup misuse: Add counts one task more than is ever started.
// upload_all() adds parts+1 to its WaitGroup (it also counted a manifest upload that a
// later change removed) but starts only `parts` uploads. Each upload calls Done and
// exits; the counter stops at 1 and upload_all waits forever. The WaitGroup lives on the
// leaked goroutine's stack.
// gleak-expect: leaked 1 upload_all sync.WaitGroup.Wait
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

void upload_part(int part, gleak::WaitGroup* wg) {
  std::printf("uploaded part %d\n", part);
  wg->done();
}

void upload_all(int parts, gleak::WaitGroup* reached) {
  gleak::WaitGroup wg;
  wg.add(parts + 1);  // BUG: one more than the goroutines started below
  for (int i = 0; i < parts; ++i) gleak::go(upload_part, i, &wg);
  reached->done();  // test handshake: the next line never returns
  wg.wait();
  std::printf("all parts uploaded\n");
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(upload_all, 3, &reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
