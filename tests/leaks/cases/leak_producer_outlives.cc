// A producer outlives its consumer: the consumer returns early, the producer blocks.
// tail_lines() reads the first 3 log lines and returns. The producer goes on sending a
// batch of 8 into a channel with a buffer of 4: after 3 taken and 4 buffered, the 8th
// send blocks forever on a full buffer that nobody will drain.
// gleak-expect: leaked 1 produce_log_lines chan send
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

constexpr int kBatch = 8;  // 3 read + 4 buffered + the one that blocks

void produce_log_lines(gleak::Chan<int> lines, gleak::WaitGroup* reached) {
  for (int i = 0; i < kBatch; ++i) {
    if (i == kBatch - 1) reached->done();  // test handshake: this send never completes
    lines.send(i);
  }
  lines.close();
}

void tail_lines(gleak::Chan<int> lines, int n, gleak::WaitGroup* finished) {
  for (int i = 0; i < n; ++i) std::printf("line %d\n", *lines.recv());
  finished->done();  // BUG: returns without draining or stopping the producer
}

[[gnu::noinline]] void start_tail(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  gleak::Chan<int> lines(4);
  gleak::go(produce_log_lines, lines, reached);
  gleak::go(tail_lines, lines, 3, finished);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    finished.add(1);
    reached.add(1);
    start_tail(&finished, &reached);
    finished.wait();
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
