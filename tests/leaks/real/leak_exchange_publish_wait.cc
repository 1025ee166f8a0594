// Port of containerd's event-publishing deadlock (containerd/containerd#4353): a goroutine
// publishes a batch of events and, on the first error, sends it on an unbuffered errChan
// and returns (defers: close(errChan), wg.Done()); the caller calls wg.Wait() *before*
// receiving from errChan. A publish error deadlocks both: the publisher on the send, the
// caller in Wait. The publisher's closure refers to the caller's WaitGroup, channel and
// batch by reference. Two replay requests with a bad namespace leak two pairs.
// gleak-expect: leaked 2 replay_events chan send
// gleak-expect: leaked 2 replay_events sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Envelope {
  std::string namespace_;
  std::string topic;
  std::string payload;
};

class Exchange {
 public:
  gleak::Error publish(const Envelope& e) {
    if (e.namespace_.empty()) return gleak::Error("namespace is required: failed precondition");
    if (e.topic.empty() || e.topic[0] != '/') return gleak::Error("envelope topic \"" + e.topic + "\" invalid");
    std::lock_guard<gleak::Mutex> g(mu_);
    ++published_[e.topic];
    return {};
  }
  long published() {
    std::lock_guard<gleak::Mutex> g(mu_);
    long n = 0;
    for (auto& [t, c] : published_) n += c;
    return n;
  }

 private:
  gleak::Mutex mu_;
  std::map<std::string, long> published_;
};

template <class F>
struct Deferred {
  F f;
  ~Deferred() { f(); }
};
template <class F>
Deferred(F) -> Deferred<F>;

void replay_events(std::shared_ptr<Exchange> exchange, std::vector<Envelope> events) {
  gleak::WaitGroup wg;
  wg.add(1);
  gleak::Chan<gleak::Error> err_chan(0);
  gleak::go([&wg, &err_chan, &events, exchange] {
    Deferred done{[&] { wg.done(); }};
    Deferred close{[&] { err_chan.close(); }};
    for (const Envelope& e : events) {
      if (gleak::Error err = exchange->publish(e)) {
        err_chan.send(err);
        return;
      }
    }
  });
  wg.wait();  // BUG: waits for the publisher before draining err_chan
  if (std::optional<gleak::Error> err = err_chan.recv(); err && *err)
    std::printf("replay: %s\n", err->message().c_str());
}

}  // namespace

int main() {
  return gleak::run([] {
    auto exchange = std::make_shared<Exchange>();
    // Two clients replay the events of a task restore; each batch has one event without
    // a namespace.
    for (int client = 0; client < 2; ++client) {
      std::vector<Envelope> batch = {
          {"default", "/tasks/create", "id=web-" + std::to_string(client)},
          {"default", "/tasks/start", "pid=41" + std::to_string(client)},
          {"", "/tasks/exit", "status=0"},
          {"default", "/tasks/delete", "id=web-" + std::to_string(client)},
      };
      gleak::go(replay_events, exchange, batch);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // containerd goes on publishing its own events.
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      exchange->publish(Envelope{"k8s.io", "/images/update", "tick=" + std::to_string(tick)});
      if (tick % 1000 == 999) std::printf("published %ld\n", exchange->published());
    }
  });
}
