// Look-alike of leak_sdk_thread_session_block: the SDK thread keeps its session in a
// variable of its polling loop and closes it after 10,000 polls; until then the watcher
// waits on a channel only that thread's frame holds.
// gleak-expect: none
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
      auto session = std::make_shared<Session>();
      session->name = "quotes";
      gleak::go(watch_session, session);
      session->events.send(1);
      for (long batch = 1;; ++batch) {
        std::this_thread::sleep_for(20ms);  // polling the feed
        polls.fetch_add(1, std::memory_order_relaxed);
        if (batch == 10000 && session) {
          session->stop();
          session.reset();
        }
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
