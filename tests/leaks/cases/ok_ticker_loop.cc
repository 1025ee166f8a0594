// Look-alike of a leak: a goroutine blocked receiving from a channel that only it holds —
// its own Ticker's channel. The ticker's timer lives in the runtime's timer heap and
// delivers a tick every 50 ms, so the receive always completes; the loop checks its stop
// flag on each tick.
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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    gleak::go(heartbeat_loop, &stop, &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    stop.store(true);
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
