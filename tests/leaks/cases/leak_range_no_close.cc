// A consumer ranges over a channel that its producer never closes.
// emit_events() sends three events and returns without closing the channel; the
// consumer's range loop waits for a fourth event or a close, neither of which can come:
// the consumer is the last holder of the channel.
// gleak-expect: leaked 1 drain_events chan receive
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void drain_events(gleak::Chan<int> events) {
  for (int e : events) std::printf("event %d\n", e);  // never ends
  std::printf("drained\n");
}

void emit_events(gleak::Chan<int> events, int n, gleak::WaitGroup* emitted) {
  for (int i = 0; i < n; ++i) events.send(i);  // unbuffered: each send waits for the consumer
  emitted->done();                             // BUG: no events.close()
}

[[gnu::noinline]] void start_events(gleak::WaitGroup* emitted) {
  gleak::Chan<int> events(0);
  gleak::go(drain_events, events);
  gleak::go(emit_events, events, 3, emitted);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup emitted;
    emitted.add(1);
    start_events(&emitted);
    emitted.wait();  // the consumer has the last event and goes back to receive
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
