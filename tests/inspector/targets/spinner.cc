// spinner — every worker busy in a goroutine that never blocks or yields: a hung
// process the inspector must still dump (the running goroutines unwound from their
// stopped threads).
#include <gleak/gleak.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <cstdio>

namespace {

std::atomic<int> spinning{0};
std::atomic<bool> stop{false};

[[gnu::noinline]] void spin_forever(int id) {
  spinning.fetch_add(1);
  unsigned long x = static_cast<unsigned long>(id);
  while (!stop.load(std::memory_order_relaxed)) x = x * 6364136223846793005ul + 1;  // never yields
  std::printf("%lu\n", x);
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return gleak::run(
      [] {
        gleak::go(spin_forever, 1);
        gleak::go(spin_forever, 2);
        // Goroutine 1 stays runnable behind them; the plain thread below reports.
        std::thread([] {
          while (spinning.load() < 2) std::this_thread::yield();
          std::printf("spinner: pid %d ready\n", static_cast<int>(getpid()));
        }).detach();
        spin_forever(0);
      },
      gleak::Config{.procs = 2});
}
