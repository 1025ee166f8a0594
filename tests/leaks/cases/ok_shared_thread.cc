// Look-alike of a leak, heap-shared: job workers range over a Queue's channel; the Queue
// (std::shared_ptr) is held by the workers and by a plain std::thread, which waits for a
// shutdown future, then sends the last jobs and closes the channel. Main holds neither
// the Queue nor the channel.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <future>
#include <memory>
#include <thread>

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    std::promise<void> stop;
    gleak::WaitGroup started, all;
    started.add(2);
    all.add(2);
    std::thread feeder = start_queue(stop.get_future().share(), &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    stop.set_value();
    gleak::blocking([&] { feeder.join(); });
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
