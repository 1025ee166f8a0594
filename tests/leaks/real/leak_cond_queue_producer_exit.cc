// A Cond-based blocking queue (the shape of many Go queues built on sync.Cond):
// consumers wait in pop() until an item arrives or the queue is closed. The producer,
// tailing a change feed, returns on a decode error without calling q.close(), so
// nobody will ever Broadcast. Both consumers wait in Cond.Wait for ever.
// gleak-expect: leaked 2 BlockQueue sync.Cond.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

class BlockQueue {
 public:
  void push(std::string v) {
    std::lock_guard<gleak::Mutex> g(mu_);
    items_.push_back(std::move(v));
    cond_.signal();
  }
  void close() {
    std::lock_guard<gleak::Mutex> g(mu_);
    closed_ = true;
    cond_.broadcast();
  }
  std::optional<std::string> pop() {
    std::lock_guard<gleak::Mutex> g(mu_);
    while (items_.empty() && !closed_) cond_.wait();
    if (items_.empty()) return std::nullopt;
    std::string v = std::move(items_.front());
    items_.pop_front();
    return v;
  }

 private:
  gleak::Mutex mu_;
  gleak::Cond cond_{mu_};
  std::deque<std::string> items_;
  bool closed_ = false;
};

void consume_events(std::shared_ptr<BlockQueue> q, std::shared_ptr<long> applied) {
  while (auto ev = q->pop()) *applied += static_cast<long>(ev->size());
}

// tail_feed decodes change-feed records into the queue.
void tail_feed(std::shared_ptr<BlockQueue> q) {
  const char* records[] = {"put /a 1", "put /b 2", "del /a", "\x01garbage", "put /c 3"};
  for (const char* r : records) {
    gleak::sleep(2ms);  // read the next record
    if (r[0] < ' ') {
      std::printf("decode error in change feed\n");
      return;  // BUG: q->close() is not called on this path
    }
    q->push(r);
  }
  q->close();
}

}  // namespace

int main() {
  return gleak::run([] {
    auto applied = std::make_shared<long>(0);
    {
      auto q = std::make_shared<BlockQueue>();
      gleak::go(consume_events, q, applied);
      gleak::go(consume_events, q, applied);
      gleak::go(tail_feed, q);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long reads = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      reads += *applied + tick % 2;
      if (tick % 1000 == 999) std::printf("reads %ld\n", reads);
    }
  });
}
