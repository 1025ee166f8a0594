// Look-alike of a forgotten compactor: the compactor waits on `requests`, which its
// creator dropped, but the janitor loop (a Ticker every 10 ms) captured it and sends
// a compaction request once every 2000 ticks; in between it never touches it.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

int main() {
  return gleak::run([] {
    auto swept = std::make_shared<long>(0);
    {
      gleak::Chan<int> requests(0);
      gleak::go([requests, swept] {
        for (int level : requests) *swept += level;
      });
      gleak::go([requests, swept] {
        gleak::Ticker t(10ms);
        for (long n = 1;; ++n) {
          t.c().recv();
          ++*swept;  // expire sessions
          if (n % 2000 == 0) requests.send(static_cast<int>(n / 2000));
        }
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("swept %ld\n", *swept);
    }
  });
}
