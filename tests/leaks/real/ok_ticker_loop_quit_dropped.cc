// Look-alike of leak_select_dropped_owner: a metrics flusher waits in
// `select { case <-ticker.C: flush(); case <-quit: return }` and its owner dropped quit
// without closing it. The goroutine never ends, but it is not blocked for ever: its own
// ticker wakes it every 2 s (the runtime's timer heap holds the ticker's channel).
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

using namespace std::chrono_literals;

namespace {

struct Metrics {
  std::atomic<long> requests{0};
  std::atomic<long> flushed{0};
};

void run_flusher(std::shared_ptr<Metrics> m, gleak::Chan<gleak::Unit> quit) {
  gleak::Ticker ticker(2s);
  for (;;) {
    bool stop = false;
    gleak::select(
        gleak::recv_case(ticker.c(), [&](std::optional<gleak::TimePoint>) { m->flushed = m->requests.load(); }),
        gleak::recv_case(quit, [&](std::optional<gleak::Unit>) { stop = true; }));
    if (stop) return;
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    auto metrics = std::make_shared<Metrics>();
    {
      gleak::Chan<gleak::Unit> quit(0);
      gleak::go(run_flusher, metrics, quit);
    }  // quit is gone: the flusher runs for the life of the process
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      metrics->requests += 3;
      if (tick % 1000 == 999) std::printf("flushed %ld\n", metrics->flushed.load());
    }
  });
}
