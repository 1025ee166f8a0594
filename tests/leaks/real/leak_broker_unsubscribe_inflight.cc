// Subscriber registry (std::map of channels) whose publish() snapshots the subscribers
// under the lock and then sends to each outside it. The audit subscriber reads one
// event, unsubscribes (its map entry is erased) and returns; a publish that had already
// snapshotted it stays blocked sending on its unbuffered channel. The broker itself
// lives on in main, serving the metrics subscriber, but no longer holds that channel.
// gleak-expect: leaked 1 Broker chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Event {
  std::string topic;
  long seq = 0;
};

class Broker {
 public:
  int subscribe(gleak::Chan<Event> ch) {
    std::lock_guard<gleak::Mutex> g(mu_);
    subs_[next_id_] = ch;
    return next_id_++;
  }
  void unsubscribe(int id) {
    std::lock_guard<gleak::Mutex> g(mu_);
    subs_.erase(id);  // BUG: in-flight publishes still hold the channel
  }
  // publish_async delivers ev to every current subscriber from its own goroutine.
  void publish_async(Event ev) {
    std::vector<gleak::Chan<Event>> targets;
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      for (auto& [id, ch] : subs_) targets.push_back(ch);
    }
    gleak::go([targets = std::move(targets), ev] {
      for (const auto& ch : targets) ch.send(ev);
    });
  }

 private:
  gleak::Mutex mu_;
  std::map<int, gleak::Chan<Event>> subs_;
  int next_id_ = 1;
};

}  // namespace

int main() {
  return gleak::run([] {
    auto broker = std::make_shared<Broker>();
    auto seen = std::make_shared<long>(0);
    {
      gleak::Chan<Event> metrics(0);
      broker->subscribe(metrics);
      gleak::go([metrics, seen] {
        for (Event& e : metrics) *seen += e.seq;
      });
    }
    {
      gleak::Chan<Event> audit(0);
      int id = broker->subscribe(audit);
      gleak::go([audit, id, broker] {
        std::optional<Event> first = audit.recv();
        std::printf("audit: %s %ld\n", first->topic.c_str(), first->seq);
        gleak::sleep(5ms);  // write the audit record
        broker->unsubscribe(id);
      });
      broker->publish_async(Event{"deploy", 1});
      broker->publish_async(Event{"deploy", 2});
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 10 == 9) broker->publish_async(Event{"heartbeat", tick});
      if (tick % 1000 == 999) std::printf("seen %ld\n", *seen);
    }
  });
}
