// Look-alike of a leaked receive: the channel's only handle sits deep inside a large
// struct on the receiver's own stack, and the other party holds a pointer to the start
// of that struct. run_job() keeps a Job (2 KiB of scratch, then the result channel) in
// its frame and passes &job to compute_later(), which sleeps in a loop (alive) and sends
// the result once told to stop. The pointer reaches the channel 2 KiB past its target.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "harness.h"

namespace {

struct Job {
  char scratch[2048];
  gleak::Chan<int> result{0};
};

void compute_later(Job* job, std::atomic<bool>* stop, gleak::WaitGroup* started) {
  started->done();
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));
  job->result.send(static_cast<int>(std::strlen(job->scratch)));
}

void run_job(std::atomic<bool>* stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  Job job;
  std::strcpy(job.scratch, "scratch");
  gleak::go(compute_later, &job, stop, started);
  started->done();  // test handshake: the next line waits until SIGTERM
  std::printf("job result %d\n", job.result.recv().value_or(-1));
  all->done();
}

}  // namespace

int main() {
  return leak_case::run_until_stopped(2, 1, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    gleak::go(run_job, stop, ready, all);
  });
}
