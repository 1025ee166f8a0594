// Async producer API with std::function callbacks: the batch sender adds one to its
// WaitGroup per record and calls Done() only in on_success; the on_error callback just
// logs (the Done belongs in a path both callbacks share). One record is rejected by the
// broker, so the flush goroutine waits on the batch's WaitGroup for ever.
// gleak-expect: leaked 1 flush_batch sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Record {
  std::string topic;
  std::string value;
};

// AsyncProducer delivers a record from its own goroutine and reports the outcome.
struct AsyncProducer {
  void produce(Record r, std::function<void(long offset)> on_success, std::function<void(std::string)> on_error) {
    gleak::go([r = std::move(r), on_success = std::move(on_success), on_error = std::move(on_error)] {
      gleak::sleep(2ms);  // network round trip
      if (r.value.size() > 64) on_error("MESSAGE_TOO_LARGE: " + r.topic);
      else on_success(static_cast<long>(r.value.size()));
    });
  }
};

struct Batch {
  gleak::WaitGroup wg;
  gleak::Mutex mu;
  std::vector<long> offsets;
};

void flush_batch(std::shared_ptr<Batch> b, std::shared_ptr<long> flushed) {
  b->wg.wait();
  *flushed += static_cast<long>(b->offsets.size());
}

}  // namespace

int main() {
  return gleak::run([] {
    auto flushed = std::make_shared<long>(0);
    AsyncProducer producer;
    {
      auto batch = std::make_shared<Batch>();
      std::vector<Record> recs = {{"orders", "id=1"}, {"orders", std::string(100, 'x')}, {"orders", "id=3"}};
      for (Record& r : recs) {
        batch->wg.add(1);
        producer.produce(
            std::move(r),
            [batch](long off) {
              std::lock_guard<gleak::Mutex> g(batch->mu);
              batch->offsets.push_back(off);
              batch->wg.done();
            },
            [](std::string err) { std::printf("produce failed: %s\n", err.c_str()); });  // BUG: no Done
      }
      gleak::go(flush_batch, batch, flushed);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("flushed %ld\n", *flushed);
    }
  });
}
