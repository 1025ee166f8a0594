// Look-alike of an abandoned receiver: the aggregator waits on `reports`, which main
// dropped, but a reporter goroutine driven by a 5 s Ticker still holds it and sends a
// report on every tick.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Report {
  std::string host;
  double load = 0;
};

void run_reporter(std::string host, gleak::Chan<Report> reports) {
  gleak::Ticker t(5s);
  for (;;) {
    std::optional<gleak::TimePoint> now = t.c().recv();
    reports.send(Report{host, 0.5});
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    auto total = std::make_shared<double>(0);
    {
      gleak::Chan<Report> reports(0);
      gleak::go(run_reporter, std::string("node-3"), reports);
      gleak::go([reports, total] {
        for (Report& r : reports) *total += r.load;
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("load %.1f\n", *total);
    }
  });
}
