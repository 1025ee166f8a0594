// Receive from a nil channel blocks forever.
// A request's reply channel is made only for synchronous requests; an asynchronous
// request leaves it nil, and await_reply() blocks on it forever (Go: `chan receive (nil
// chan)`).
// gleak-expect: leaked 1 await_reply chan receive (nil chan)
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

struct Request {
  bool sync = false;
  gleak::Chan<int> reply;  // made only for synchronous requests
};

void await_reply(gleak::Chan<int> reply, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  std::printf("reply %d\n", reply.recv().value_or(-1));  // BUG: reply is nil
}

[[gnu::noinline]] void submit(gleak::WaitGroup* reached) {
  Request r;
  if (r.sync) r.reply = gleak::Chan<int>(1);
  gleak::go(await_reply, r.reply, reached);
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    submit(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
