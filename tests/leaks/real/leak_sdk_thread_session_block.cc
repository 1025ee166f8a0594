// A vendor SDK delivers market data on a thread of its own. For its first batch the
// callback thread opens a session in an inner block: a shared Session whose watcher
// goroutine drains the session's event channel. The block ends without stop(), so the
// channel is never closed and the watcher waits for ever; the SDK thread goes on polling.
// gleak-expect: leaked 1 watch_session chan receive
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct Session {
  std::string name;
  gleak::Chan<long> events{0};
  long seen = 0;
  void stop() { events.close(); }
};

void watch_session(std::shared_ptr<Session> s) {
  for (long e : s->events) s->seen += e;
}

std::atomic<long> polls{0};

}  // namespace

int main() {
  return gleak::run([] {
    std::thread sdk([] {
      for (long batch = 0;; ++batch) {
        if (batch == 0) {
          auto session = std::make_shared<Session>();
          session->name = "quotes-" + std::to_string(batch);
          gleak::go(watch_session, session);
          session->events.send(batch + 1);
          // BUG: session->stop() is missing; the watcher drains an open channel
        }
        std::this_thread::sleep_for(20ms);  // polling the feed
        polls.fetch_add(1, std::memory_order_relaxed);
      }
    });
    sdk.detach();
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("polls %ld\n", polls.load());
    }
  });
}
