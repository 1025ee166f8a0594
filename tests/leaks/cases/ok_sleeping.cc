// Look-alike of a leak: a goroutine waits on a channel whose only other holder is asleep.
// await_report() waits for a report that poll_health() will send; poll_health is parked
// on a timer (gleak::sleep) in a polling loop, so it is alive and will wake up and send.
// Main does not hold the channel: the sleeping goroutine is the live party.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "harness.h"

namespace {

void poll_health(gleak::Chan<int> report, std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  int polls = 0;
  while (!stop->load()) {
    gleak::sleep(std::chrono::milliseconds(10));
    ++polls;
  }
  report.send(polls);
  all->done();
}

void await_report(gleak::Chan<int> report, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  std::printf("health report after %d polls\n", report.recv().value_or(-1));
  all->done();
}

[[gnu::noinline]] void start_health(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  gleak::Chan<int> report(0);
  gleak::go(poll_health, report, stop, started, all);
  gleak::go(await_report, report, started, all);
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(2, 2, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    start_health(stop, ready, all);
  });
}
