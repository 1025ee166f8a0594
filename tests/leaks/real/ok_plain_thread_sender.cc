// Look-alike of an abandoned receiver: the metrics consumer waits on `samples`, which
// main dropped; a plain std::thread (a vendor SDK callback thread) holds it on its own
// stack, sleeps 30 s in the SDK and then sends a sample.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;

int main() {
  return gleak::run([] {
    auto total = std::make_shared<double>(0);
    {
      gleak::Chan<double> samples(0);
      std::thread([samples] {
        for (;;) {
          std::this_thread::sleep_for(30s);  // inside the SDK
          samples.send(0.25);
        }
      }).detach();
      gleak::go([samples, total] {
        for (double s : samples) *total += s;
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("total %.2f\n", *total);
    }
  });
}
