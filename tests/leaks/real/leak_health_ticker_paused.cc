// A health checker's probe loop pauses itself after three failed probes: it stops its
// Ticker and waits for `resume` (sent by an operator API) or `quit` (Stop()). The
// owning pool replaces the checker of a failing backend and drops the old one without
// Stop(): the paused loop selects on a stopped ticker and two channels nobody holds.
// gleak-expect: leaked 1 HealthChecker select
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

class HealthChecker {
 public:
  explicit HealthChecker(std::string addr, bool reachable) : addr_(std::move(addr)), reachable_(reachable) {}

  void start() {
    gleak::go([resume = resume_, quit = quit_, addr = addr_, reachable = reachable_, healthy = healthy_] {
      gleak::Ticker t(4ms);
      int failures = 0;
      for (;;) {
        bool stop = false;
        gleak::select(gleak::recv_case(t.c(),
                                       [&](std::optional<gleak::TimePoint>) {
                                         *healthy = reachable;  // dial addr, GET /healthz
                                         failures = reachable ? 0 : failures + 1;
                                         if (failures >= 3) t.stop();  // pause until resumed
                                       }),
                      gleak::recv_case(resume, [&](std::optional<gleak::Unit>) {
                        failures = 0;
                        t.reset(4ms);
                      }),
                      gleak::recv_case(quit, [&](std::optional<gleak::Unit>) { stop = true; }));
        if (stop) return;
      }
    });
  }
  void resume() const { resume_.send({}); }
  void stop() const { quit_.close(); }
  bool healthy() const { return *healthy_; }

 private:
  std::string addr_;
  bool reachable_;
  gleak::Chan<gleak::Unit> resume_{0};
  gleak::Chan<gleak::Unit> quit_{0};
  std::shared_ptr<bool> healthy_ = std::make_shared<bool>(true);
};

}  // namespace

int main() {
  return gleak::run([] {
    std::map<std::string, std::unique_ptr<HealthChecker>> pool;
    {
      auto c = std::make_unique<HealthChecker>("10.0.0.7:8080", false);
      c->start();
      pool["backend-a"] = std::move(c);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long routed = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick == 3 && !pool["backend-a"]->healthy()) {
        // Replace the failing backend. BUG: the old checker is not stopped.
        pool["backend-a"] = std::make_unique<HealthChecker>("10.0.0.9:8080", true);
        pool["backend-a"]->start();
      }
      routed += pool["backend-a"]->healthy() ? 1 : 0;
      if (tick % 1000 == 999) std::printf("routed %ld\n", routed);
    }
  });
}
