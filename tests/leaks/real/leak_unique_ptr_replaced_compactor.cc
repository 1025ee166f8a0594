// The store owns its background compactor through std::unique_ptr<Compactor>.
// reconfigure() replaces it by assignment (`compactor_ = std::make_unique<...>`); the old
// Compactor has no destructor that stops its loop, which waits in select on trigger and
// stop channels that only the goroutine still holds. The new compactor is alive and used.
// gleak-expect: leaked 1 Compactor select
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Stats {
  std::atomic<long> compacted{0};
};

class Compactor {
 public:
  Compactor(int level, std::shared_ptr<Stats> stats) {
    gleak::go([trigger = trigger_, stop = stop_, stats, level] {
      for (;;) {
        bool done = false;
        gleak::select(
            gleak::recv_case(trigger, [&](std::optional<int> n) { stats->compacted += n.value_or(0) * level; }),
            gleak::recv_case(stop, [&](std::optional<gleak::Unit>) { done = true; }));
        if (done) return;
      }
    });
  }
  void trigger(int segments) { trigger_.send(segments); }
  void stop() { stop_.close(); }  // meant to be called by Store::close()

 private:
  gleak::Chan<int> trigger_{8};
  gleak::Chan<gleak::Unit> stop_{0};
};

class Store {
 public:
  void open(int level) { compactor_ = std::make_unique<Compactor>(level, stats_); }
  void reconfigure(int level) {
    compactor_ = std::make_unique<Compactor>(level, stats_);  // BUG: the old one is not stopped
  }
  void put(std::string k, std::string v) {
    data_[std::move(k)] = std::move(v);
    if (++writes_ % 32 == 0) compactor_->trigger(static_cast<int>(data_.size() % 7) + 1);
  }
  long compacted() const { return stats_->compacted.load(); }

 private:
  std::map<std::string, std::string> data_;
  long writes_ = 0;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
  std::unique_ptr<Compactor> compactor_;
};

}  // namespace

int main() {
  return gleak::run([] {
    Store store;
    store.open(1);
    for (int i = 0; i < 40; ++i) store.put("k" + std::to_string(i), "v");
    store.reconfigure(3);  // operator raised the compaction level
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      store.put("k" + std::to_string(tick % 500), std::to_string(tick));
      if (tick % 1000 == 999) std::printf("compacted %ld\n", store.compacted());
    }
  });
}
