// parked — a service that has parked many goroutines and goes on: `parked N` starts N
// goroutines that wait on a channel nobody sends on, prints "ready", then keeps
// counting ticks; `parked N exit` returns from main once they are started. `parked N
// busy` also keeps N/100 goroutines (at least 2) working, and prints every 10 ms
// `tick <CLOCK_MONOTONIC ns> <work done>`. `parked N labels` labels main
// service=parked, and each parked goroutine shard=<i % 2> (set before its go()).
#include <gleak/gleak.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000;
  bool exit_after = argc > 2 && std::strcmp(argv[2], "exit") == 0;
  bool busy = argc > 2 && std::strcmp(argv[2], "busy") == 0;
  bool labels = argc > 2 && std::strcmp(argv[2], "labels") == 0;
  return gleak::run([n, exit_after, busy, labels] {
    gleak::Chan<int> never;
    gleak::WaitGroup started;
    if (labels) gleak::set_label("service", "parked");
    for (long i = 0; i < n; ++i) {
      if (labels) gleak::set_label("shard", std::to_string(i % 2));
      started.add(1);
      gleak::go([never, &started] {
        started.done();
        never.recv();
      });
    }
    started.wait();
    std::printf("ready %ld\n", n);
    std::fflush(stdout);
    if (exit_after) return;
    if (busy) {
      static std::atomic<long> work{0};
      for (long i = 0; i < std::max(2L, n / 100); ++i) {
        gleak::go([] {
          for (;;) {
            work.fetch_add(1, std::memory_order_relaxed);
            gleak::yield();
          }
        });
      }
      for (;;) {
        gleak::sleep(10ms);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        std::printf("tick %lld %ld\n", ts.tv_sec * 1000000000LL + ts.tv_nsec, work.load());
        std::fflush(stdout);
      }
    }
    for (long tick = 0;; ++tick) {
      gleak::sleep(10ms);
      if (tick % 100 == 99) std::printf("tick %ld\n", tick);
      std::fflush(stdout);
    }
  });
}
