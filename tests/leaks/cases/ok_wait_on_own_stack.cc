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
  return leak_case::run_until_stopped(2, 1, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    gleak::go(wait_for_ticker, stop, ready, all);
  });
}
