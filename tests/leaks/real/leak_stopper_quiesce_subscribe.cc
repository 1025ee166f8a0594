// Port of the closed-timestamp deadlock on (*Stopper).Quiesce (cockroachdb/cockroach#37954,
// fixed by #37986): the closedts server's stream handler runs as a stopper task and returns
// on ShouldQuiesce, but Provider.Subscribe, also a task, sends entries on the handler's
// channel without selecting on ShouldQuiesce. It blocks on the send for ever, so its task
// never finishes and Quiesce waits on the stopper's drain Cond for ever. The tenant server
// being shut down was already removed from the host's map.
// gleak-expect: leaked 1 Stopper sync.Cond.Wait
// gleak-expect: leaked 1 Provider chan send
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

class Stopper : public std::enable_shared_from_this<Stopper> {
 public:
  gleak::Chan<gleak::Unit> should_quiesce() const { return quiescer_; }

  bool run_async_task(std::string name, std::function<void()> f) {
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      if (quiescing_) return false;
      ++num_tasks_;
    }
    gleak::go([self = shared_from_this(), name = std::move(name), f = std::move(f)] {
      f();
      self->task_done();
    });
    return true;
  }

  void quiesce() {
    mu_.lock();
    if (!quiescing_) {
      quiescing_ = true;
      quiescer_.close();
    }
    while (num_tasks_ > 0) drain_.wait();
    mu_.unlock();
  }

  void stop() {
    quiesce();
    std::printf("stopper: stopped\n");
  }

 private:
  void task_done() {
    std::lock_guard<gleak::Mutex> g(mu_);
    --num_tasks_;
    drain_.broadcast();
  }

  gleak::Mutex mu_;
  gleak::Cond drain_{mu_};
  int num_tasks_ = 0;
  bool quiescing_ = false;
  gleak::Chan<gleak::Unit> quiescer_{0};
};

struct Entry {
  long closed_ts = 0;
  long epoch = 0;
};

class Provider {
 public:
  // subscribe streams closed-timestamp entries to ch until ... the caller stops reading.
  void subscribe(gleak::Chan<Entry> ch) {
    for (long ts = 1;; ++ts) {
      gleak::sleep(2ms);  // the next closed timestamp
      ch.send(Entry{ts, 1});  // BUG: no select on the stopper's ShouldQuiesce
    }
  }
};

struct TenantServer {
  std::string name;
  std::shared_ptr<Stopper> stopper = std::make_shared<Stopper>();
  std::shared_ptr<Provider> provider = std::make_shared<Provider>();
  std::shared_ptr<std::atomic<long>> sent = std::make_shared<std::atomic<long>>(0);

  void start() {
    gleak::Chan<Entry> ch(0);
    auto p = provider;
    stopper->run_async_task("closedts-subscribe", [p, ch] { p->subscribe(ch); });
    stopper->run_async_task("closedts-server", [sent = sent, ch, q = stopper->should_quiesce()] {
      for (;;) {
        bool quit = false;
        gleak::select(gleak::recv_case(ch, [&](std::optional<Entry> e) { *sent += e ? e->closed_ts % 3 : 0; }),
                      gleak::recv_case(q, [&](std::optional<gleak::Unit>) { quit = true; }));
        if (quit) return;
      }
    });
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::map<std::string, std::shared_ptr<TenantServer>> tenants;
    for (const char* name : {"system", "acme"}) {
      auto t = std::make_shared<TenantServer>();
      t->name = name;
      t->start();
      tenants[name] = t;
    }
    gleak::sleep(20ms);  // serve for a while
    {
      // DROP TENANT acme: shut its server down in the background, forget it.
      auto t = tenants["acme"];
      tenants.erase("acme");
      gleak::go([s = t->stopper] { s->stop(); });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The host goes on serving the system tenant.
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      served += tenants["system"]->sent->load() % 11 + static_cast<long>(tenants.size());
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
