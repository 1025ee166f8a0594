// cockroach13197 — a goroutine waits on ctx.Done() of a context nobody will cancel.
// begin_txn() derives a cancellable context for a transaction and starts await_done(),
// which rolls back when the context ends. The commit path forgets to call cancel (go
// vet's "lostcancel"); the CancelFunc is dropped, and await_done waits forever on the
// context's done channel.
// gleak-expect: leaked 1 await_done chan receive
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

void await_done(gleak::Context ctx, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  ctx.done().recv();
  std::printf("rolled back: %s\n", ctx.err().message().c_str());
}

[[gnu::noinline]] void begin_txn(gleak::WaitGroup* reached) {
  gleak::WithCancel txn = gleak::with_cancel(gleak::background());
  gleak::go(await_done, txn.ctx, reached);
  std::printf("txn committed\n");
  // BUG: txn.cancel() is never called; the CancelFunc dies here.
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    begin_txn(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
