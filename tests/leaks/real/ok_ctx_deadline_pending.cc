// Look-alike of a lost cancel: a batch job's goroutines wait on ctx.Done() of a context
// made with WithTimeout(30s) whose cancel func was dropped. Nobody else holds the
// context, but its deadline timer (in the runtime's timer heap) will cancel it.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

void cleanup_on_done(gleak::Context ctx, std::string what, std::shared_ptr<std::atomic<long>> cleaned) {
  ctx.done().recv();
  ++*cleaned;
  std::printf("cleaned %s: %s\n", what.c_str(), ctx.err().message().c_str());
}

void start_batch(std::shared_ptr<std::atomic<long>> cleaned) {
  auto [ctx, cancel] = gleak::with_timeout(gleak::background(), 30s);  // cancel dropped
  gleak::go(cleanup_on_done, ctx, "scratch dir", cleaned);
  gleak::go(cleanup_on_done, ctx, "temp table", cleaned);
}

}  // namespace

int main() {
  return gleak::run([] {
    auto cleaned = std::make_shared<std::atomic<long>>(0);
    start_batch(cleaned);
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("cleaned %ld\n", cleaned->load());
    }
  });
}
