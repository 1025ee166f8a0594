// A leak chain: A leaks on a channel, B waits for A's Done, C waits for B's close.
// run_job() starts fetch_input() (A), which waits for input that the feeder — never
// started after a config error — would have sent; run_job (B) waits on its WaitGroup for
// A; report_job (C) waits for run_job to close `finished`. The input channel and the
// WaitGroup live on run_job's stack; nothing alive holds any of them.
// gleak-expect: leaked 1 fetch_input chan receive
// gleak-expect: leaked 1 run_job sync.WaitGroup.Wait
// gleak-expect: leaked 1 report_job chan receive
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

namespace {

// ---- harness: print "ready", then wait for SIGTERM/SIGINT (see README.md) -----------
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}
void announce_ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}
// Goroutine 1 waits in a blocking system call (state `syscall`), not on any gleak object.
void await_stop_signal() {
  gleak::blocking([] {
    sigset_t s = stop_signals();
    int sig = 0;
    sigwait(&s, &sig);
  });
}

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(3);
    start_job(&reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
