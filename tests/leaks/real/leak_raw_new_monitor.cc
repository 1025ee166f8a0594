// A monitor allocated with plain `new` and never deleted: main keeps the raw pointer
// only in a local variable of an inner block. The monitor's alert goroutine waits on
// the monitor's alerts channel. The object is still allocated, but after the block
// nothing points to it except that goroutine's own closure.
// gleak-expect: leaked 1 Monitor chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

class Monitor {
 public:
  explicit Monitor(std::string target) : target_(std::move(target)) {}
  void start() {
    gleak::go([this] {
      for (std::string& a : alerts_) fired_ += static_cast<long>(a.size());  // page on-call
    });
  }
  void check(int latency_ms) {
    if (latency_ms > 500) alerts_.send(target_ + " slow");
  }

 private:
  std::string target_;
  gleak::Chan<std::string> alerts_{1};
  long fired_ = 0;
};

}  // namespace

int main() {
  return gleak::run([] {
    int checks = 0;
    {
      Monitor* m = new Monitor("https://status.example.com");  // BUG: never deleted nor stopped
      m->start();
      m->check(120);
      m->check(900);
      ++checks;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      checks += tick % 2;
      if (tick % 1000 == 999) std::printf("checks %d\n", checks);
    }
  });
}
