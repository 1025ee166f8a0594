// Look-alike of a leak: a mutex waiter whose holder sleeps on a timer and will unlock.
// flush_loop() owns a mutex on its stack, locks it and flushes in a timer loop
// (gleak::sleep) until told to stop; append_record() waits for the mutex meanwhile. The
// holder is alive and unlocks when it stops, so the waiter is not leaked.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <vector>

#include "harness.h"

namespace {

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
  return leak_case::run_until_stopped(2, 1, [](std::atomic<bool>* stop, gleak::WaitGroup* ready,
                                              gleak::WaitGroup* all) {
    gleak::go(flush_loop, stop, ready, all);
  });
}
