// A pipeline stage leaks when downstream stops reading.
// generate_ids → square_stage → sink. The sink takes two squares and returns without
// telling the stages (no done channel, no context). square_stage blocks sending its
// third square, and generate_ids blocks sending its fourth id to the stage that no longer
// receives. Only the two stages hold the two channels.
// gleak-expect: leaked 1 generate_ids chan send
// gleak-expect: leaked 1 square_stage chan send
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void generate_ids(gleak::Chan<int> out, gleak::WaitGroup* reached) {
  for (int i = 1;; ++i) {
    if (i == 4) reached->done();  // test handshake: the stage holds id 3, this send never completes
    out.send(i);
  }
}

void square_stage(gleak::Chan<int> in, gleak::Chan<int> out, gleak::WaitGroup* reached) {
  int n = 0;
  for (int v : in) {
    if (++n == 3) reached->done();  // test handshake: the sink took two, this send never completes
    out.send(v * v);
  }
  out.close();
}

[[gnu::noinline]] void print_first_squares(int n, gleak::WaitGroup* reached) {
  gleak::Chan<int> ids(0), squares(0);
  gleak::go(generate_ids, ids, reached);
  gleak::go(square_stage, ids, squares, reached);
  for (int i = 0; i < n; ++i) std::printf("square %d\n", *squares.recv());
  // BUG: stops reading; the stages are never told to stop
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    print_first_squares(2, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
