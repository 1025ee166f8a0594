// A select whose every case is a nil channel blocks forever.
// watch_sources() selects on the file-event and network-event channels; both sources are
// disabled in this configuration, so both channels are nil and no case can ever be ready.
// (Go reports such a goroutine as `select`; gleak's runtime records it as
// `select (no cases)`, and the expectation follows the runtime — see README.md.)
// gleak-expect: leaked 1 watch_sources select (no cases)
#include <gleak/gleak.h>

#include <cstdio>
#include <optional>

#include "harness.h"

namespace {

struct Sources {
  gleak::Chan<int> file_events;  // nil: file watching disabled
  gleak::Chan<int> net_events;   // nil: network watching disabled
};

void watch_sources(Sources src, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the select below never returns
  gleak::select(gleak::recv_case(src.file_events, [](std::optional<int> e) { std::printf("file %d\n", e.value_or(0)); }),
                gleak::recv_case(src.net_events, [](std::optional<int> e) { std::printf("net %d\n", e.value_or(0)); }));
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(watch_sources, Sources{}, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
