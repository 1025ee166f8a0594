// Look-alike of the all-nil select: watch_events() selects on two nil (disabled) event
// channels — and on `quit`, which main holds and closes on SIGTERM. One live case is
// enough for the select to be completable.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <optional>

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

void watch_events(gleak::Chan<int> file_events, gleak::Chan<int> net_events, gleak::Chan<gleak::Unit> quit,
                  gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  gleak::select(gleak::recv_case(file_events, [](std::optional<int>) { std::printf("file event\n"); }),
                gleak::recv_case(net_events, [](std::optional<int>) { std::printf("net event\n"); }),
                gleak::recv_case(quit, [](std::optional<gleak::Unit>) { std::printf("quit\n"); }));
  all->done();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::Chan<gleak::Unit> quit(0);
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    gleak::go(watch_events, gleak::Chan<int>(), gleak::Chan<int>(), quit, &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    quit.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
