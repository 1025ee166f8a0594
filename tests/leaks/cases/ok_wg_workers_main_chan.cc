// Look-alike of a leak: a WaitGroup waiter whose workers are blocked — on a channel main
// holds. wait_workers() waits for three workers, each blocked receiving from `release`.
// That looks like the cockroach1462 chain, but main holds `release` and closes it on
// SIGTERM: the workers finish, Done, and the waiter returns.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void hold_until_release(int id, gleak::Chan<gleak::Unit> release, gleak::WaitGroup* wg, gleak::WaitGroup* started) {
  started->done();
  release.recv();
  std::printf("worker %d released\n", id);
  wg->done();
}

void wait_workers(gleak::WaitGroup* wg, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  wg->wait();
  std::printf("all workers done\n");
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Chan<gleak::Unit> release(0);
    gleak::WaitGroup wg, started, all;
    wg.add(3);
    started.add(4);
    all.add(1);
    for (int i = 0; i < 3; ++i) gleak::go(hold_until_release, i, release, &wg, &started);
    gleak::go(wait_workers, &wg, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    release.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
