// select with no cases blocks forever (Go's `select {}`).
// A service's serve loop starts its listeners in goroutines and parks itself with an
// empty select, copying the idiom from a main(); here it runs in a goroutine, and once
// its listeners are gone (none started) it is stuck for good: `select (no cases)`.
// gleak-expect: leaked 1 serve_forever select (no cases)
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void serve_forever(int listeners, gleak::WaitGroup* reached) {
  std::printf("serving on %d listeners\n", listeners);
  reached->done();  // test handshake: the next line never returns
  gleak::select();  // BUG: `select {}` in a goroutine
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(serve_forever, 0, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
