// cockroach24808 — a send into a buffered channel that was already full before Start.
// new_compactor() pre-fills the one-slot `quiesce` channel; the compactor loop that
// drains it is never started (Start is skipped on this path). request_quiesce() then
// blocks on a full buffer forever, the last holder of the channel.
// gleak-expect: leaked 1 request_quiesce chan send
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

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
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    start_store(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
