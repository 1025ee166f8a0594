// Look-alike of leak_uploader_progress_reset: a flusher goroutine waits on a channel
// whose only handle outside it sits in a std::unique_ptr member of the Server that
// main's loop keeps using; main asks for a flush every 4 s.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

class Flusher {
 public:
  explicit Flusher(std::shared_ptr<long> flushed) {
    gleak::go([requests = requests_, flushed] {
      for (int n : requests) *flushed += n;
    });
  }
  void request(int n) const { requests_.send(n); }

 private:
  gleak::Chan<int> requests_{0};
};

class Server {
 public:
  Server() : flusher_(std::make_unique<Flusher>(flushed_)) {}
  void handle(int req) { dirty_ += req % 3; }
  void maybe_flush(int tick) {
    if (tick % 200 == 199) {
      flusher_->request(dirty_);
      dirty_ = 0;
    }
  }
  long flushed() const { return *flushed_; }

 private:
  std::shared_ptr<long> flushed_ = std::make_shared<long>(0);
  int dirty_ = 0;
  std::unique_ptr<Flusher> flusher_;
};

}  // namespace

int main() {
  return gleak::run([] {
    Server srv;
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      srv.handle(tick);
      srv.maybe_flush(tick);
      if (tick % 1000 == 999) std::printf("flushed %ld\n", srv.flushed());
    }
  });
}
