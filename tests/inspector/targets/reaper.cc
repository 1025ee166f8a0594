// reaper — a service that waits for its own children, as many do: it counts SIGCHLD,
// polls waitpid(-1) on every tick, and says so: `tick <SIGCHLD seen> <children reaped>`
// every 10 ms. Along the way, a request handler it started has leaked (its reply
// channel was dropped by the caller's inner block).
#include <gleak/gleak.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

namespace {
volatile sig_atomic_t g_sigchld = 0;
void on_sigchld(int) { g_sigchld = g_sigchld + 1; }
}  // namespace

int main() {
  struct sigaction sa = {};
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, nullptr);
  return gleak::run([] {
    {
      gleak::Chan<std::string> reply;
      gleak::go([reply] { reply.send("done"); });  // nobody receives: the caller gave up
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long reaped = 0;
    for (;;) {
      gleak::sleep(10ms);
      int status = 0;
      while (waitpid(-1, &status, WNOHANG) > 0) ++reaped;
      std::printf("tick %d %ld\n", static_cast<int>(g_sigchld), reaped);
      std::fflush(stdout);
    }
  });
}
