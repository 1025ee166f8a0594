// A leak chain: A leaks on a channel, B waits for A's Done, C waits for B's close.
// run_job() starts fetch_input() (A), which waits for input that the feeder — never
// started after a config error — would have sent; run_job (B) waits on its WaitGroup for
// A; report_job (C) waits for run_job to close `finished`. The input channel and the
// WaitGroup live on run_job's stack; nothing alive holds any of them.
// gleak-expect: leaked 1 fetch_input chan receive
// gleak-expect: leaked 1 run_job sync.WaitGroup.Wait
// gleak-expect: leaked 1 report_job chan receive
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void fetch_input(gleak::Chan<int> input, gleak::WaitGroup* wg, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  std::printf("input %d\n", input.recv().value_or(-1));
  wg->done();
}

void run_job(gleak::Chan<gleak::Unit> finished, gleak::WaitGroup* reached) {
  gleak::WaitGroup wg;
  gleak::Chan<int> input(0);  // BUG: its feeder is never started (config error ignored)
  wg.add(1);
  gleak::go(fetch_input, input, &wg, reached);
  reached->done();  // test handshake: the next line never returns
  wg.wait();
  finished.close();
}

void report_job(gleak::Chan<gleak::Unit> finished, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  finished.recv();
  std::printf("job finished\n");
}

[[gnu::noinline]] void start_job(gleak::WaitGroup* reached) {
  gleak::Chan<gleak::Unit> finished(0);
  gleak::go(run_job, finished, reached);
  gleak::go(report_job, finished, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(3);
    start_job(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
