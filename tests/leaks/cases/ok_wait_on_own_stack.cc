// Look-alike of a leaked WaitGroup wait: the WaitGroup lives on the waiter's own stack,
// and the only other party holds a pointer to it. wait_for_ticker() declares the
// WaitGroup, starts tick_until_stopped() with its address and waits; the ticker sleeps
// in a loop (alive) and will call done() once told to stop. Nothing else refers to the
// WaitGroup: the pointer into the waiter's frame is the whole exit path.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void tick_until_stopped(gleak::WaitGroup* finished, std::atomic<bool>* stop, gleak::WaitGroup* started) {
  started->done();
  int ticks = 0;
  while (!stop->load()) {
    gleak::sleep(std::chrono::milliseconds(10));
    ++ticks;
  }
  std::printf("ticked %d times\n", ticks);
  finished->done();
}

void wait_for_ticker(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::WaitGroup finished;  // on this goroutine's stack
  finished.add(1);
  gleak::go(tick_until_stopped, &finished, stop, started);
  started->done();  // test handshake: the next line waits until SIGTERM
  finished.wait();
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup started, all;
    started.add(2);
    all.add(1);
    gleak::go(wait_for_ticker, &stop, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    stop.store(true);  // the ticker sees it on its next wake-up
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
