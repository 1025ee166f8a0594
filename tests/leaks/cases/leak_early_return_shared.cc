// grpc660 with the state on the heap — early return leaves two senders blocked.
// A client opens a stream whose state (a Stream struct held by std::shared_ptr) is shared
// by a message pump and a close reporter. The handshake fails and the opener returns
// without reading either channel; both goroutines block on unbuffered sends, and they
// hold the last two references to the Stream.
// gleak-expect: leaked 1 pump_messages chan send
// gleak-expect: leaked 1 report_closed chan send
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>

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

struct Stream {
  gleak::Chan<int> messages{0};
  gleak::Chan<gleak::Unit> closed{0};
};

void pump_messages(std::shared_ptr<Stream> st, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  st->messages.send(1);
}

void report_closed(std::shared_ptr<Stream> st, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  st->closed.send(gleak::Unit{});
}

gleak::Error handshake() { return gleak::Error("handshake: protocol mismatch"); }

[[gnu::noinline]] gleak::Error open_stream(gleak::WaitGroup* reached) {
  auto st = std::make_shared<Stream>();
  gleak::go(pump_messages, st, reached);
  gleak::go(report_closed, st, reached);
  if (gleak::Error err = handshake()) return err;  // BUG: nobody drains the stream now
  for (int m : st->messages) std::printf("message %d\n", m);
  st->closed.recv();
  return gleak::Error();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    open_stream(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
