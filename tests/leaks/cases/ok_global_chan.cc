// Look-alike of a leak: a receiver loop on a global (namespace-scope) channel.
// serve_requests() ranges over g_requests and nobody is sending right now. The channel is
// a global, reachable from any code at any time (Go's leak profile treats globals as
// roots: its NoLeakGlobal case), and main does close it on SIGTERM.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

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

// Namespace-scope static. It is made at the start of goroutine 1, not by its static
// initializer: a Chan constructed during static initialization crashes the runtime
// (README.md, "Runtime issues found").
gleak::Chan<int> g_requests;

void serve_requests(gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  for (int r : g_requests) std::printf("request %d\n", r);
  all->done();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    g_requests = gleak::Chan<int>(0);
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    gleak::go(serve_requests, &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    g_requests.send(1);
    g_requests.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
