// WaitGroup misuse: Add counts one task more than is ever started.
// upload_all() adds parts+1 to its WaitGroup (it also counted a manifest upload that a
// later change removed) but starts only `parts` uploads. Each upload calls Done and
// exits; the counter stops at 1 and upload_all waits forever. The WaitGroup lives on the
// leaked goroutine's stack.
// gleak-expect: leaked 1 upload_all sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void upload_part(int part, gleak::WaitGroup* wg) {
  std::printf("uploaded part %d\n", part);
  wg->done();
}

void upload_all(int parts, gleak::WaitGroup* reached) {
  gleak::WaitGroup wg;
  wg.add(parts + 1);  // BUG: one more than the goroutines started below
  for (int i = 0; i < parts; ++i) gleak::go(upload_part, i, &wg);
  reached->done();  // test handshake: the next line never returns
  wg.wait();
  std::printf("all parts uploaded\n");
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(upload_all, 3, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
