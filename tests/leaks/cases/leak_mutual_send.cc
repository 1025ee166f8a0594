// cockroach2448 — two loops each send to the other on unbuffered channels.
// The store loop sends to the replica, then listens to it; the replica loop does the same
// the other way round. Both send first, so each waits for the other to receive: a cycle
// of two blocked sends. Only the two loops hold the channels.
// gleak-expect: leaked 1 store_loop chan send
// gleak-expect: leaked 1 replica_loop chan send
// gleak-expect: deadlock-cycle
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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    start_store(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
