// Look-alike of a leak, heap-shared: job workers range over a Queue's channel; the Queue
// (std::shared_ptr) is held by the workers and by a plain std::thread, which waits for a
// shutdown future, then sends the last jobs and closes the channel. Main holds neither
// the Queue nor the channel.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <future>
#include <memory>
#include <thread>

#include "harness.h"

namespace {

struct Queue {
  gleak::Chan<int> jobs{0};
};

void run_jobs(std::shared_ptr<Queue> q, int id, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  for (int j : q->jobs) std::printf("worker %d: job %d\n", id, j);
  all->done();
}

[[gnu::noinline]] std::thread start_queue(std::shared_future<void> stop, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  auto q = std::make_shared<Queue>();
  for (int i = 0; i < 2; ++i) gleak::go(run_jobs, q, i, started, all);
  return std::thread([q, stop] {
    stop.wait();
    for (int j = 0; j < 3; ++j) q->jobs.send(j);
    q->jobs.close();
  });
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::promise<void> stop;
    gleak::WaitGroup started, all;
    started.add(2);
    all.add(2);
    std::thread feeder = start_queue(stop.get_future().share(), &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    stop.set_value();
    gleak::blocking([&] { feeder.join(); });
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
