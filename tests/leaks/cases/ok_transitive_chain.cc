// Look-alike of a leak chain: consume_relayed() waits on a channel that only relay()
// holds, and relay() is itself blocked — but on `go_ahead`, which main holds and closes
// on SIGTERM. Liveness flows along the chain (as in Go's leak profile, whose marking
// repeats until nothing changes): relay is live, so what it holds is live too.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void relay(gleak::Chan<gleak::Unit> go_ahead, gleak::Chan<int> out, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  go_ahead.recv();
  out.send(1);
  out.close();
  all->done();
}

void consume_relayed(gleak::Chan<int> in, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  for (int v : in) std::printf("relayed %d\n", v);
  all->done();
}

[[gnu::noinline]] void start_relay(gleak::Chan<gleak::Unit> go_ahead, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::Chan<int> relayed(0);  // held by the two goroutines only
  gleak::go(relay, go_ahead, relayed, started, all);
  gleak::go(consume_relayed, relayed, started, all);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Chan<gleak::Unit> go_ahead(0);
    gleak::WaitGroup started, all;
    started.add(2);
    all.add(2);
    start_relay(go_ahead, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    go_ahead.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
