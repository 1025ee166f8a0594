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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup both, reached;
    both.add(2);
    reached.add(3);
    gleak::go(run_store, Barrier{&both, &reached});
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
