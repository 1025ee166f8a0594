// kubernetes5316 — a timeout select abandons a worker that later blocks sending its result.
// The caller starts a lookup, then selects on the unbuffered result channel and on
// gleak::after(20ms). The timeout wins (the backend answers only afterwards); the caller
// returns, and the worker blocks forever on `result <- v`: nobody else holds `result`.
// gleak-expect: leaked 1 slow_lookup chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "harness.h"

namespace {

void slow_lookup(gleak::Chan<int> result, gleak::Chan<gleak::Unit> backend, gleak::WaitGroup* reached) {
  backend.recv();   // the backend's answer: arrives only after the caller gave up
  reached->done();  // test handshake: the next line never returns
  result.send(42);  // BUG: unbuffered, and the caller is gone
}

[[gnu::noinline]] int lookup_with_timeout(gleak::WaitGroup* reached) {
  gleak::Chan<int> result(0);
  gleak::Chan<gleak::Unit> backend(0);  // stands for the slow network
  gleak::go(slow_lookup, result, backend, reached);
  int v = -1;
  gleak::select(gleak::recv_case(result, [&](std::optional<int> r) { v = *r; }),
                gleak::recv_case(gleak::after(std::chrono::milliseconds(20)),
                                 [](std::optional<gleak::TimePoint>) { std::printf("lookup timed out\n"); }));
  backend.close();  // the answer comes in late
  return v;
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    lookup_with_timeout(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
