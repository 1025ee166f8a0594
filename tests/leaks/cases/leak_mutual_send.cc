// cockroach2448 — two loops each send to the other on unbuffered channels.
// The store loop sends to the replica, then listens to it; the replica loop does the same
// the other way round. Both send first, so each waits for the other to receive: a cycle
// of two blocked sends. Only the two loops hold the channels.
// gleak-expect: leaked 1 store_loop chan send
// gleak-expect: leaked 1 replica_loop chan send
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void store_loop(gleak::Chan<int> to_replica, gleak::Chan<int> from_replica, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the first send never completes
  for (int i = 0;; ++i) {
    to_replica.send(i);
    std::printf("store got %d\n", *from_replica.recv());
  }
}

void replica_loop(gleak::Chan<int> to_store, gleak::Chan<int> from_store, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the first send never completes
  for (int i = 0;; ++i) {
    to_store.send(-i);
    std::printf("replica got %d\n", *from_store.recv());
  }
}

[[gnu::noinline]] void start_store(gleak::WaitGroup* reached) {
  gleak::Chan<int> store_to_replica(0), replica_to_store(0);
  gleak::go(store_loop, store_to_replica, replica_to_store, reached);
  gleak::go(replica_loop, replica_to_store, store_to_replica, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    start_store(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
