// A job runner takes its task as a std::function and moves it into the goroutine that
// runs it. The admin handler builds the task from a lambda that captures the reply
// channel and a shared progress record, starts it, then gives up waiting after a timeout
// and returns; the task later blocks for ever sending its result on the unbuffered
// channel. Nothing but the task holds the channel; main's stack only keeps the husk of
// the moved-from std::function and of the shared_ptr passed by value.
// gleak-expect: leaked 1 * chan send
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Progress {
  std::atomic<long> done{0};
  std::string name;
};

class Runner {
 public:
  void start(std::function<void()> task) {
    ++started_;
    gleak::go([t = std::move(task)] { t(); });
  }
  long started() const { return started_; }

 private:
  long started_ = 0;
};

long handle_reindex(Runner& runner, std::shared_ptr<Progress> p) {
  gleak::Chan<long> result(0);
  runner.start([result, p] {
    long n = 0;
    for (int i = 0; i < 5; ++i) {
      gleak::sleep(5ms);  // a slow batch
      n += ++p->done;
    }
    result.send(n);  // BUG: nobody receives after the handler timed out
  });
  std::optional<long> got;
  bool timed_out = false;
  gleak::select(gleak::recv_case(result, [&](std::optional<long> v) { got = v; }),
                gleak::recv_case(gleak::after(1ms), [&](std::optional<gleak::TimePoint>) { timed_out = true; }));
  return timed_out ? -1 : got.value_or(0);
}

}  // namespace

int main() {
  return gleak::run([] {
    Runner runner;
    {
      auto progress = std::make_shared<Progress>();
      progress->name = "reindex";
      long r = handle_reindex(runner, progress);
      std::printf("reindex: %ld\n", r);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      served += runner.started() + tick % 3;
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
