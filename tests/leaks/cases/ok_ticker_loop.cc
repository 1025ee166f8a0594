// Look-alike of a leak: a goroutine blocked receiving from a channel that only it holds —
// its own Ticker's channel. The ticker's timer lives in the runtime's timer heap and
// delivers a tick every 50 ms, so the receive always completes; the loop checks its stop
// flag on each tick.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void heartbeat_loop(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::Ticker ticker(std::chrono::milliseconds(50));
  started->done();
  int beats = 0;
  while (!stop->load()) {
    ticker.c().recv();
    ++beats;
  }
  std::printf("%s\n", beats > 0 ? "heartbeats sent" : "no heartbeat");
  all->done();
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(1, 1, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    gleak::go(heartbeat_loop, stop, ready, all);
  });
}
