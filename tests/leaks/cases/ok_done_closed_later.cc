// Look-alike of a leak: workers blocked on a done channel that main will close.
// Three workers wait on `done`, exactly like a leaked receiver would look in a dump. But
// goroutine 1 (in a blocking system call, alive) holds `done` on its stack and closes it
// on SIGTERM: the waits are completable, so nothing is leaked.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void wait_for_shutdown(int id, gleak::Chan<gleak::Unit> done, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  done.recv();
  std::printf("worker %d stopping\n", id);
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Chan<gleak::Unit> done(0);
    gleak::WaitGroup started, all;
    started.add(3);
    all.add(3);
    for (int i = 0; i < 3; ++i) gleak::go(wait_for_shutdown, i, done, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    done.close();  // the live holder completes the waits
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
