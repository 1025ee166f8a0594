// Port of the apiserver watch-cache leak (kubernetes/kubernetes#38670, "cacheWatcher leaks
// goroutines"): each cacheWatcher's process goroutine moves events from `input` to the
// buffered `result` channel with a plain blocking send. When the WatchServer times out
// while `result` is full it stops the watcher (the cacher erases it from its map, input is
// closed) and stops reading `result`: process blocks on the send for ever. The cacher's
// dispatch loop and the etcd watch keep running; three slow watch clients leak three.
// gleak-expect: leaked 3 CacheWatcher chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Event {
  long rv = 0;
  std::string key;
};

class CacheWatcher {
 public:
  explicit CacheWatcher(std::function<void()> forget) : forget_(std::move(forget)) {}

  gleak::Chan<Event> input{8};
  gleak::Chan<Event> result{4};

  // add is the dispatcher's non-blocking add: false when the watcher cannot keep up.
  bool add(const Event& e) {
    std::lock_guard<gleak::Mutex> g(mu_);
    if (stopped_) return true;
    return gleak::select(gleak::send_case(input, e, [] {}), gleak::default_case([] {})) == 0;
  }

  // stop is Watch.Stop(): forget the watcher in the cacher, close input.
  void stop() {
    std::function<void()> forget;
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      if (stopped_) return;
      stopped_ = true;
      input.close();
      forget = std::move(forget_);
    }
    if (forget) forget();
  }

  void process(long from_rv) {
    for (Event& e : input) {
      if (e.rv > from_rv) send_event(std::move(e));
    }
    result.close();
  }

 private:
  void send_event(Event e) {
    result.send(std::move(e));  // BUG: does not select on a done channel
  }

  gleak::Mutex mu_;
  bool stopped_ = false;
  std::function<void()> forget_;
};

class Cacher : public std::enable_shared_from_this<Cacher> {
 public:
  gleak::Chan<Event> incoming{0};

  void start() {
    gleak::go([self = shared_from_this()] { self->dispatch_loop(); });
  }

  std::shared_ptr<CacheWatcher> watch(long rv) {
    std::lock_guard<gleak::Mutex> g(mu_);
    int id = next_id_++;
    std::weak_ptr<Cacher> weak = weak_from_this();
    auto w = std::make_shared<CacheWatcher>([weak, id] {
      if (auto c = weak.lock()) c->forget(id);
    });
    watchers_[id] = w;
    gleak::go([w, rv] { w->process(rv); });
    return w;
  }

  std::size_t size() {
    std::lock_guard<gleak::Mutex> g(mu_);
    return watchers_.size();
  }
  long resource_version() {
    std::lock_guard<gleak::Mutex> g(mu_);
    return rv_;
  }

 private:
  void forget(int id) {
    std::lock_guard<gleak::Mutex> g(mu_);
    watchers_.erase(id);
  }

  void dispatch_loop() {
    for (Event& e : incoming) {
      std::vector<std::shared_ptr<CacheWatcher>> ws;
      {
        std::lock_guard<gleak::Mutex> g(mu_);
        rv_ = e.rv;
        for (auto& [id, w] : watchers_) ws.push_back(w);
      }
      for (auto& w : ws) {
        if (!w->add(e)) w->stop();  // terminate the unresponsive watcher
      }
    }
  }

  gleak::Mutex mu_;
  std::map<int, std::shared_ptr<CacheWatcher>> watchers_;
  int next_id_ = 0;
  long rv_ = 0;
};

void etcd_watch(std::shared_ptr<Cacher> cacher) {
  for (long rv = 1;; ++rv) {
    gleak::sleep(1ms);
    cacher->incoming.send(Event{rv, "/registry/pods/default/web-" + std::to_string(rv % 7)});
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    auto cacher = std::make_shared<Cacher>();
    cacher->start();
    gleak::go(etcd_watch, cacher);
    long delivered = 0;
    // The WatchServer serves three watch requests from slow clients.
    for (int req = 0; req < 3; ++req) {
      auto w = cacher->watch(cacher->resource_version());
      auto timeout = gleak::after(40ms);
      bool done = false;
      while (!done) {
        gleak::select(gleak::recv_case(w->result,
                                       [&](std::optional<Event> e) {
                                         if (!e) {
                                           done = true;
                                           return;
                                         }
                                         ++delivered;
                                         gleak::sleep(12ms);  // the client reads slowly
                                       }),
                      gleak::recv_case(timeout, [&](std::optional<gleak::TimePoint>) { done = true; }));
      }
      w->stop();  // timeout: stop the watcher and stop reading result
    }
    std::printf("delivered %ld events\n", delivered);
    std::printf("ready\n");
    std::fflush(stdout);
    // The apiserver goes on serving lists from the cache.
    long listed = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      listed += cacher->resource_version() % 5 + static_cast<long>(cacher->size());
      if (tick % 1000 == 999) std::printf("listed %ld\n", listed);
    }
  });
}
