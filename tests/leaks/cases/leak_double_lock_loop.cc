// cockroach584 — a loop `lock; if closed { break }; unlock` exits holding the mutex.
// bootstrap() loops until the gossip instance is closed; on that path it `break`s out
// with the mutex still locked. The manager calls it twice, and the second call waits
// for itself. The Gossip struct lives on the leaked goroutine's own stack.
// gleak-expect: leaked 1 bootstrap sync.Mutex.Lock
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

struct Gossip {
  gleak::Mutex mu;
  bool closed = false;
  int rounds = 0;
};

[[gnu::noinline]] void bootstrap(Gossip* g) {
  for (;;) {
    g->mu.lock();
    if (g->closed) break;  // BUG: leaves the loop (and the function) holding g->mu
    ++g->rounds;
    g->mu.unlock();
  }
}

void manage_gossip(gleak::WaitGroup* reached) {
  Gossip g;
  g.closed = true;  // the node is shutting down
  bootstrap(&g);
  reached->done();  // test handshake: the next call never returns
  bootstrap(&g);
  std::printf("rounds %d\n", g.rounds);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(manage_gossip, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
