// syncthing5795 — Close waits for the dispatcher loop to stop, but never tells it to.
// dispatch_loop() handles messages until its inbox is closed, then closes `stopped`.
// close_service() waits on `stopped` without closing the inbox first: the loop waits
// for a message, Close waits for the loop. Both hold only each other's channels.
// gleak-expect: leaked 1 dispatch_loop chan receive
// gleak-expect: leaked 1 close_service chan receive
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void dispatch_loop(gleak::Chan<int> inbox, gleak::Chan<gleak::Unit> stopped, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the loop never ends
  for (int m : inbox) std::printf("message %d\n", m);
  stopped.close();
}

void close_service(gleak::Chan<gleak::Unit> stopped, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  stopped.recv();   // BUG: the inbox was never closed
  std::printf("closed\n");
}

[[gnu::noinline]] void start_service(gleak::WaitGroup* reached) {
  gleak::Chan<int> inbox(0);
  gleak::Chan<gleak::Unit> stopped(0);
  gleak::go(dispatch_loop, inbox, stopped, reached);
  gleak::go(close_service, stopped, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    start_service(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
