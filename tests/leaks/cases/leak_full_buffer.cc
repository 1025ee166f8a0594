// cockroach24808 — a send into a buffered channel that was already full before Start.
// new_compactor() pre-fills the one-slot `quiesce` channel; the compactor loop that
// drains it is never started (Start is skipped on this path). request_quiesce() then
// blocks on a full buffer forever, the last holder of the channel.
// gleak-expect: leaked 1 request_quiesce chan send
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

struct Compactor {
  gleak::Chan<gleak::Unit> quiesce{1};
};

Compactor new_compactor() {
  Compactor c;
  c.quiesce.send(gleak::Unit{});  // "pre-signal" the first round
  return c;
}

void request_quiesce(gleak::Chan<gleak::Unit> quiesce, gleak::WaitGroup* reached) {
  reached->done();             // test handshake: the next line never returns
  quiesce.send(gleak::Unit{});  // BUG: the buffer is full and no loop drains it
}

[[gnu::noinline]] void start_store(gleak::WaitGroup* reached) {
  Compactor c = new_compactor();
  // BUG: c's loop is never started on this path.
  gleak::go(request_quiesce, c.quiesce, reached);
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    start_store(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
