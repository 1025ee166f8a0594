// tests/leaks/cases/harness.h — what every corpus case does around its scenario (see
// README.md): SIGTERM/SIGINT blocked in all threads, `ready` printed once the scenario is
// in place, then goroutine 1 waits for the signal in a blocking system call (state
// `syscall`), not on any gleak object.
#pragma once

#include <gleak/gleak.h>
#include <signal.h>

#include <atomic>
#include <cstdio>

namespace leak_case {

inline sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}

// block_stop_signals() runs first in main(), before any thread exists, so that every
// thread inherits the mask and only sigwait() takes the signal.
inline void block_stop_signals() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

inline void announce_ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}

inline void await_stop_signal() {
  gleak::blocking([] {
    sigset_t s = stop_signals();
    int sig = 0;
    sigwait(&s, &sig);
  });
}

// run_until_stopped() is main() for a case whose goroutines run until a flag says stop:
// start(&stop, &ready, &all) starts them; ready is done ready_count times once the
// scenario is in place, all all_count times once they have exited. Then it waits for
// the stop signal, sets the flag (the goroutines see it on their next wake-up) and
// waits for them. All three live on the main goroutine's stack.
template <class Start>
int run_until_stopped(int ready_count, int all_count, Start start) {
  block_stop_signals();
  return gleak::run([&] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup ready, all;
    ready.add(ready_count);
    all.add(all_count);
    start(&stop, &ready, &all);
    ready.wait();
    announce_ready();
    await_stop_signal();
    stop.store(true);
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}

}  // namespace leak_case
