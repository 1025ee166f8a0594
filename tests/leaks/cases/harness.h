// tests/leaks/cases/harness.h — what every corpus case does around its scenario (see
// README.md): SIGTERM/SIGINT blocked in all threads, `ready` printed once the scenario is
// in place, then goroutine 1 waits for the signal in a blocking system call (state
// `syscall`), not on any gleak object.
#pragma once

#include <gleak/gleak.h>
#include <signal.h>

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

}  // namespace leak_case
