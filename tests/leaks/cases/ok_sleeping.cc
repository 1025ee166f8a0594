// Look-alike of a leak: a goroutine waits on a channel whose only other holder is asleep.
// await_report() waits for a report that poll_health() will send; poll_health is parked
// on a timer (gleak::sleep) in a polling loop, so it is alive and will wake up and send.
// Main does not hold the channel: the sleeping goroutine is the live party.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <atomic>
#include <chrono>
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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup started, all;
    started.add(2);
    all.add(2);
    start_health(&stop, &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    stop.store(true);  // the sleeper sees it on its next wake-up
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
