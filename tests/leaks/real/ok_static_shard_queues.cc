// Look-alike of a dropped worker queue: shard writers wait on their queue channels,
// which the code that started them no longer holds, but every queue is also kept in a
// class-static vector (ShardRouter::queues_) through which main's loop routes writes.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

class ShardRouter {
 public:
  static void start_shard(int id) {
    gleak::Chan<std::string> q(0);
    queues_.push_back(q);
    gleak::go([q, id] {
      long written = 0;
      for (std::string& rec : q) written += static_cast<long>(rec.size());
      std::printf("shard %d wrote %ld\n", id, written);
    });
  }
  static void route(const std::string& key, std::string rec) {
    queues_[std::hash<std::string>{}(key) % queues_.size()].send(std::move(rec));
  }

 private:
  static inline std::vector<gleak::Chan<std::string>> queues_;
};

}  // namespace

int main() {
  return gleak::run([] {
    for (int i = 0; i < 3; ++i) ShardRouter::start_shard(i);
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) ShardRouter::route("user:" + std::to_string(tick), "row " + std::to_string(tick));
    }
  });
}
