// Receive from a nil channel blocks forever.
// A request's reply channel is made only for synchronous requests; an asynchronous
// request leaves it nil, and await_reply() blocks on it forever (Go: `chan receive (nil
// chan)`).
// gleak-expect: leaked 1 await_reply chan receive (nil chan)
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

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
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    submit(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
