// kubernetes25331 — a select on `results <- err` and `<-ctx.Done()`, after Stop().
// A watch (std::shared_ptr<WatchChan>, shared by the sender and the consumer) delivers
// events on an unbuffered channel. The consumer takes one event and stops, but Stop
// forgets to cancel the watch's context. The sender's next select waits on a send no one
// will take and a context no one will cancel.
// gleak-expect: leaked 1 send_error select
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "harness.h"

namespace {

struct WatchChan {
  gleak::Chan<int> results{0};
  gleak::Context ctx;
};

void send_error(std::shared_ptr<WatchChan> wc, gleak::WaitGroup* reached) {
  wc->results.send(1);  // an event: the consumer takes it
  reached->done();      // test handshake: the select below never returns
  gleak::select(gleak::send_case(wc->results, -1, [] {}),
                gleak::recv_case(wc->ctx.done(), [](std::optional<gleak::Unit>) {}));
}

void consume_events(std::shared_ptr<WatchChan> wc) {
  std::optional<int> ev = wc->results.recv();
  std::printf("event %d, stopping\n", ev.value_or(0));
  // Stop(): BUG: returns without cancelling wc->ctx
}

[[gnu::noinline]] void start_watch(gleak::WaitGroup* reached) {
  auto wc = std::make_shared<WatchChan>();
  gleak::WithCancel w = gleak::with_cancel(gleak::background());
  wc->ctx = w.ctx;
  gleak::go(send_error, wc, reached);
  gleak::go(consume_events, wc);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    start_watch(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
