// Look-alike of the apiserver watch-cache leak (kubernetes/kubernetes#38670): the same
// cacheWatcher whose process goroutine blocks on its full `result` channel, but the
// watch is a long-lived one that main keeps in its loop and reads slowly (one event every
// 25 ticks, a client on a slow link). The dispatcher drops events a full watcher cannot
// take. The process goroutines are blocked most of the time, never leaked.
// gleak-expect: none
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
        w->add(e);  // a full watcher misses the event (it will relist)
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
    // Two kubelets watch their pods over slow links.
    std::vector<std::shared_ptr<CacheWatcher>> watches;
    for (int i = 0; i < 2; ++i) watches.push_back(cacher->watch(cacher->resource_version()));
    std::printf("ready\n");
    std::fflush(stdout);
    long delivered = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 25 == 24) {
        for (auto& w : watches) {
          std::optional<Event> e = w->result.recv();  // the client took one more event
          if (e) delivered += e->rv % 3 + 1;
        }
      }
      if (tick % 1000 == 999) std::printf("delivered %ld, %zu watchers\n", delivered, cacher->size());
    }
  });
}
