// deadlock — a pipeline whose consumer gives up early: the producer blocks forever on
// its send, so main's WaitGroup never reaches zero. Meanwhile a goroutine waits for
// input in a blocking read, as a server's console reader would.
//
// Go would hang here for ever: its deadlock check gives up while a goroutine is in a
// system call. gleak proves that the reader holds nothing main waits on and ends the
// process as Go does when it can tell:
//
//   fatal error: all goroutines are asleep - deadlock!
//
// followed by every leaked goroutine with the proof, and exit status 2.
#include <unistd.h>

#include <cstdio>

#include "gleak/gleak.h"

namespace {

void produce(gleak::Chan<int> out, gleak::WaitGroup* wg) {
  for (int i = 1; i <= 5; ++i) out.send(i);  // blocks for ever at 4: no one receives
  out.close();
  wg->done();
}

void consume(gleak::Chan<int> in, gleak::WaitGroup* wg) {
  for (;;) {
    auto v = in.recv();
    if (!v) break;
    std::printf("consumed %d\n", *v);
    std::fflush(stdout);
    if (*v == 3) {
      std::printf("consumer: giving up after 3\n");
      std::fflush(stdout);
      break;  // the bug: returns without draining or telling the producer
    }
  }
  wg->done();
}

}  // namespace

int main() {
  int input[2];
  if (pipe(input) != 0) return 1;
  return gleak::run([fd = input[0]] {
    gleak::go([fd] {
      char c;
      gleak::blocking([&] { return read(fd, &c, 1); });  // no one ever writes
    });
    gleak::WaitGroup wg;
    gleak::Chan<int> items(0);
    wg.add(2);
    gleak::go(produce, items, &wg);
    gleak::go(consume, items, &wg);
    wg.wait();
    std::printf("pipeline finished\n");
  });
}
