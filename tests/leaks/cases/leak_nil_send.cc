// Send on a nil channel blocks forever.
// The metrics exporter's sink channel is made only when exporting is enabled; with it
// disabled the field stays the nil channel, and publish_metrics() blocks on its first
// send forever (Go: `chan send (nil chan)`). No object exists that anyone could use to
// wake it.
// gleak-expect: leaked 1 publish_metrics chan send (nil chan)
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

struct Exporter {
  bool enabled = false;
  gleak::Chan<int> sink;  // made only when enabled
};

void publish_metrics(gleak::Chan<int> sink, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  sink.send(1);     // BUG: sink is nil when exporting is disabled
}

[[gnu::noinline]] void start_exporter(gleak::WaitGroup* reached) {
  Exporter e;
  if (e.enabled) e.sink = gleak::Chan<int>(16);
  gleak::go(publish_metrics, e.sink, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    start_exporter(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
