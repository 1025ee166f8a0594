// grpc660 with the state on the heap — early return leaves two senders blocked.
// A client opens a stream whose state (a Stream struct held by std::shared_ptr) is shared
// by a message pump and a close reporter. The handshake fails and the opener returns
// without reading either channel; both goroutines block on unbuffered sends, and they
// hold the last two references to the Stream.
// gleak-expect: leaked 1 pump_messages chan send
// gleak-expect: leaked 1 report_closed chan send
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

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
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    open_stream(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
