// etcd7902 — a follower waits for the next round while holding the lock the leader needs.
// follower_step() locks the round (std::shared_ptr, shared with the leader) and waits to
// receive from `next`; leader_round() must lock the round before it closes `next`. The
// receive waits for the leader, the leader waits for the lock: a channel+mutex cycle.
// gleak-expect: leaked 1 follower_step chan receive
// gleak-expect: leaked 1 leader_round sync.Mutex.Lock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Round {
  gleak::Mutex mu;
  gleak::Chan<gleak::Unit> next{0};
  int term = 0;
};

void follower_step(std::shared_ptr<Round> r, gleak::WaitGroup* locked, gleak::WaitGroup* reached) {
  r->mu.lock();
  locked->done();
  reached->done();  // test handshake: the next line never returns
  r->next.recv();   // BUG: waits for the leader while holding r->mu
  std::printf("follower at term %d\n", r->term);
  r->mu.unlock();
}

void leader_round(std::shared_ptr<Round> r, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  r->mu.lock();
  ++r->term;
  r->next.close();
  r->mu.unlock();
}

[[gnu::noinline]] void start_round(gleak::WaitGroup* locked, gleak::WaitGroup* reached) {
  auto r = std::make_shared<Round>();
  locked->add(1);
  gleak::go(follower_step, r, locked, reached);
  locked->wait();  // the follower holds r->mu
  gleak::go(leader_round, r, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup locked, reached;
    reached.add(2);
    start_round(&locked, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
