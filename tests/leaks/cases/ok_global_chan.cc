// Look-alike of a leak: a receiver loop on a global (namespace-scope) channel.
// serve_requests() ranges over g_requests and nobody is sending right now. The channel is
// a global, reachable from any code at any time (Go's leak profile treats globals as
// roots: its NoLeakGlobal case), and main does close it on SIGTERM.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

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
  leak_case::block_stop_signals();
  return gleak::run([] {
    g_requests = gleak::Chan<int>(0);
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    gleak::go(serve_requests, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    g_requests.send(1);
    g_requests.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
