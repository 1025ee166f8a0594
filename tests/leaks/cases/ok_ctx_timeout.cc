// Look-alike of cockroach13197: a goroutine waits on ctx.done() and the CancelFunc is
// dropped — but the context has a 2 s timeout, and its timer (alive, in the runtime's
// timer heap) will cancel it. Nothing else holds the context. On SIGTERM main just waits
// for the deadline to fire (at most 2 s after start).
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void await_deadline(gleak::Context ctx, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  ctx.done().recv();
  std::printf("request ended: %s\n", ctx.err().message().c_str());
  all->done();
}

[[gnu::noinline]] void start_request(gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::WithCancel req = gleak::with_timeout(gleak::background(), std::chrono::seconds(2));
  gleak::go(await_deadline, req.ctx, started, all);
  // req.cancel is dropped: the timer still ends the context.
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    start_request(&started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
