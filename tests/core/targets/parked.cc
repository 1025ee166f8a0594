// parked — a service that has parked many goroutines and goes on: `parked N` starts N
// goroutines that wait on a channel nobody sends on, prints "ready", then keeps
// counting ticks; `parked N exit` returns from main once they are started.
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 1000;
  bool exit_after = argc > 2 && std::strcmp(argv[2], "exit") == 0;
  return gleak::run([n, exit_after] {
    gleak::Chan<int> never;
    gleak::WaitGroup started;
    for (long i = 0; i < n; ++i) {
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
    for (long tick = 0;; ++tick) {
      gleak::sleep(10ms);
      if (tick % 100 == 99) std::printf("tick %ld\n", tick);
      std::fflush(stdout);
    }
  });
}
