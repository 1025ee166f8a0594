// Look-alike of a leak: a send on a channel nobody is receiving from — with buffer room.
// enqueue_job() sends into a buffered channel that has room, so the send completes at
// once (no receiver needed). It then waits for an acknowledgement on a channel main holds
// and closes on SIGTERM; main then drains the buffered job.
// gleak-expect: none
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

void enqueue_job(gleak::Chan<int> jobs, gleak::Chan<gleak::Unit> ack, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  jobs.send(7);  // room in the buffer: does not block
  reached->done();
  ack.recv();    // blocked here, on a channel main holds
  all->done();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::Chan<int> jobs(4);
    gleak::Chan<gleak::Unit> ack(0);
    gleak::WaitGroup reached, all;
    reached.add(1);
    all.add(1);
    gleak::go(enqueue_job, jobs, ack, &reached, &all);
    reached.wait();
    announce_ready();
    await_stop_signal();
    ack.close();
    all.wait();
    std::printf("drained job %d\n", jobs.recv().value_or(-1));
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
