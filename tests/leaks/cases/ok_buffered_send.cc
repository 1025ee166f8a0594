// Look-alike of a leak: a send on a channel nobody is receiving from — with buffer room.
// enqueue_job() sends into a buffered channel that has room, so the send completes at
// once (no receiver needed). It then waits for an acknowledgement on a channel main holds
// and closes on SIGTERM; main then drains the buffered job.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

void enqueue_job(gleak::Chan<int> jobs, gleak::Chan<gleak::Unit> ack, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  jobs.send(7);  // room in the buffer: does not block
  reached->done();
  ack.recv();    // blocked here, on a channel main holds
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Chan<int> jobs(4);
    gleak::Chan<gleak::Unit> ack(0);
    gleak::WaitGroup reached, all;
    reached.add(1);
    all.add(1);
    gleak::go(enqueue_job, jobs, ack, &reached, &all);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    ack.close();
    all.wait();
    std::printf("drained job %d\n", jobs.recv().value_or(-1));
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
