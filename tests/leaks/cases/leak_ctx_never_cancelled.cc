// cockroach13197 — a goroutine waits on ctx.Done() of a context nobody will cancel.
// begin_txn() derives a cancellable context for a transaction and starts await_done(),
// which rolls back when the context ends. The commit path forgets to call cancel (go
// vet's "lostcancel"); the CancelFunc is dropped, and await_done waits forever on the
// context's done channel.
// gleak-expect: leaked 1 await_done chan receive
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

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
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    begin_txn(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
