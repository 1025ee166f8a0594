// stuck_server — a service whose goroutines are stuck in every way Go programs get stuck,
// for `gleak dump` and `gleak leaks` to look at:
//
//   ingest    3 workers waiting to receive jobs that no one will ever send   [chan receive]
//   publish   2 workers waiting to send results that no one reads            [chan send]
//   cache     1 goroutine holding the cache mutex while it sleeps for an hour [sleep]
//             2 goroutines waiting for that mutex                           [sync.Mutex.Lock]
//   shutdown  1 goroutine waiting for a WaitGroup that never reaches zero    [sync.WaitGroup.Wait]
//   watchdog  1 goroutine waiting on two channels at once                   [select]
//   main      waits for SIGTERM or SIGINT in a blocking system call         [syscall]
//
// It prints "ready" once every goroutine is on its way to its wait, then runs until it
// gets SIGTERM or SIGINT. The lines marked `// wait:` and `// go:` are the ones a dump
// must point at (the tests read them from this file).
#include <gleak/gleak.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace {

struct Job {
  int id;
};

void ingest_worker(gleak::Chan<Job> jobs, gleak::WaitGroup* started) {
  started->done();
  for (Job j : jobs) {  // wait: ingest
    std::printf("ingest: job %d\n", j.id);
  }
}

void publish_worker(gleak::Chan<int> results, int n, gleak::WaitGroup* started) {
  started->done();
  results.send(n);  // wait: publish
}

void cache_holder(gleak::Mutex* mu, gleak::WaitGroup* started) {
  mu->lock();
  started->done();
  gleak::sleep(std::chrono::hours(1));  // wait: holder
  mu->unlock();
}

void cache_reader(gleak::Mutex* mu, gleak::WaitGroup* started) {
  started->done();
  mu->lock();  // wait: reader
  mu->unlock();
}

void shutdown_waiter(gleak::WaitGroup* pending, gleak::WaitGroup* started) {
  started->done();
  pending->wait();  // wait: shutdown
}

void watchdog(gleak::Chan<gleak::Unit> stop, gleak::Chan<int> alarms, gleak::WaitGroup* started) {
  started->done();
  gleak::select(gleak::recv_case(stop, [](std::optional<gleak::Unit>) {}),  // wait: watchdog
                gleak::recv_case(alarms, [](std::optional<int>) {}));
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // Block the signals in every thread, so that only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  return gleak::run([&] {
    gleak::WaitGroup started;
    gleak::Chan<Job> jobs(0);
    gleak::Chan<int> results(0);
    gleak::Mutex cache_mu;
    gleak::WaitGroup pending;
    gleak::Chan<gleak::Unit> stop(0);
    gleak::Chan<int> alarms(0);

    pending.add(1);  // a task that never reports done
    started.add(3 + 2 + 1);
    for (int i = 0; i < 3; ++i) gleak::go(ingest_worker, jobs, &started);  // go: ingest
    for (int i = 0; i < 2; ++i) gleak::go(publish_worker, results, i, &started);  // go: publish
    gleak::go(cache_holder, &cache_mu, &started);  // go: holder
    started.wait();  // the holder has the mutex before the readers start
    started.add(2 + 1 + 1);
    for (int i = 0; i < 2; ++i) gleak::go(cache_reader, &cache_mu, &started);  // go: reader
    gleak::go(shutdown_waiter, &pending, &started);  // go: shutdown
    gleak::go(watchdog, stop, alarms, &started);  // go: watchdog
    started.wait();
    std::printf("stuck_server: pid %d ready\n", static_cast<int>(getpid()));

    int sig = gleak::blocking([&] {
      int s = 0;
      sigwait(&stop_signals, &s);  // wait: main
      return s;
    });
    std::printf("stuck_server: got signal %d, exiting\n", sig);
  });
}
