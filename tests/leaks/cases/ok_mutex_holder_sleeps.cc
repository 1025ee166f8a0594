// Look-alike of a leak: a mutex waiter whose holder sleeps on a timer and will unlock.
// flush_loop() owns a mutex on its stack, locks it and flushes in a timer loop
// (gleak::sleep) until told to stop; append_record() waits for the mutex meanwhile. The
// holder is alive and unlocks when it stops, so the waiter is not leaked.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>

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

void append_record(gleak::Mutex* mu, std::vector<int>* log, gleak::WaitGroup* reached, gleak::WaitGroup* appended) {
  reached->done();
  mu->lock();
  log->push_back(1);
  mu->unlock();
  appended->done();
}

void flush_loop(std::atomic<bool>* stop, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  gleak::Mutex mu;
  std::vector<int> log;
  gleak::WaitGroup appended;
  mu.lock();
  appended.add(1);
  gleak::go(append_record, &mu, &log, reached, &appended);
  reached->done();
  while (!stop->load()) gleak::sleep(std::chrono::milliseconds(10));  // holds mu while flushing
  mu.unlock();
  appended.wait();
  std::printf("%zu records\n", log.size());
  all->done();
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    std::atomic<bool> stop{false};
    gleak::WaitGroup reached, all;
    reached.add(2);
    all.add(1);
    gleak::go(flush_loop, &stop, &reached, &all);
    reached.wait();
    announce_ready();
    await_stop_signal();
    stop.store(true);
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
