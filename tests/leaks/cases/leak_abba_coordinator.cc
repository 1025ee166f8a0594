// cockroach10214 — AB-BA between two store goroutines, and their coordinator waits on them.
// run_store() owns raftMu and coalescedMu on its stack and starts two goroutines:
// coalesce_heartbeats() locks coalescedMu→raftMu, handle_raft_ready() raftMu→coalescedMu.
// They deadlock (a barrier forces the interleaving), and run_store waits forever in
// WaitGroup.Wait for the two of them: three goroutines leaked.
// gleak-expect: leaked 1 coalesce_heartbeats sync.Mutex.Lock
// gleak-expect: leaked 1 handle_raft_ready sync.Mutex.Lock
// gleak-expect: leaked 1 run_store sync.WaitGroup.Wait
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

struct Barrier {
  gleak::WaitGroup* both;
  gleak::WaitGroup* reached;
  void arrive() {
    both->done();  // test interleaving: both goroutines hold their first lock
    both->wait();
    reached->done();
  }
};

void coalesce_heartbeats(gleak::Mutex* coalesced_mu, gleak::Mutex* raft_mu, Barrier b, gleak::WaitGroup* running) {
  coalesced_mu->lock();
  b.arrive();
  raft_mu->lock();
  std::printf("heartbeats coalesced\n");
  raft_mu->unlock();
  coalesced_mu->unlock();
  running->done();
}

void handle_raft_ready(gleak::Mutex* raft_mu, gleak::Mutex* coalesced_mu, Barrier b, gleak::WaitGroup* running) {
  raft_mu->lock();
  b.arrive();
  coalesced_mu->lock();
  std::printf("raft ready handled\n");
  coalesced_mu->unlock();
  raft_mu->unlock();
  running->done();
}

void run_store(Barrier b) {
  gleak::Mutex raft_mu, coalesced_mu;
  gleak::WaitGroup running;
  running.add(2);
  gleak::go(coalesce_heartbeats, &coalesced_mu, &raft_mu, b, &running);
  gleak::go(handle_raft_ready, &raft_mu, &coalesced_mu, b, &running);
  b.reached->done();  // test handshake: the next line never returns
  running.wait();
  std::printf("store stopped\n");
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup both, reached;
    both.add(2);
    reached.add(3);
    gleak::go(run_store, Barrier{&both, &reached});
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
