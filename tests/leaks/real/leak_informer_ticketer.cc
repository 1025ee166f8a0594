// Port of client-go's NewIndexerInformerWatcher before kubernetes/kubernetes#77434: each
// informer event handler starts a goroutine that waits for its ticket on a Cond and then,
// still holding the ticketer's mutex, sends the event on the watcher's unbuffered result
// channel. The certificate manager reads two events and stops the watcher (which stops the
// informer): the goroutine of the third event blocks on the send with the mutex held, the
// goroutines of the later events block on the mutex.
// gleak-expect: leaked 1 * chan send
// gleak-expect: leaked 2 * sync.Mutex.Lock
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct WatchEvent {
  std::string type;
  std::string name;
};

struct Ticketer {
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  std::atomic<uint64_t> counter{0};
  uint64_t current = 0;

  uint64_t get_ticket() { return counter.fetch_add(1); }

  void wait_for_ticket(uint64_t ticket, const std::function<void()>& f) {
    std::lock_guard<gleak::Mutex> g(mu);
    while (ticket != current) cond.wait();
    f();  // runs with mu held
    ++current;
    cond.broadcast();
  }
};

struct ResourceEventHandlerFuncs {
  std::function<void(const WatchEvent&)> add_func;
  std::function<void(const WatchEvent&)> update_func;
  std::function<void(const WatchEvent&)> delete_func;
};

class Informer {
 public:
  Informer(gleak::Chan<WatchEvent> source, ResourceEventHandlerFuncs h)
      : source_(std::move(source)), handlers_(std::move(h)) {}

  void run(gleak::Chan<gleak::Unit> stop) {
    for (;;) {
      bool stopped = false;
      gleak::select(gleak::recv_case(source_,
                                     [&](std::optional<WatchEvent> e) {
                                       if (!e) {
                                         stopped = true;
                                         return;
                                       }
                                       gleak::sleep(5ms);  // decode and update the indexer
                                       if (e->type == "ADDED") handlers_.add_func(*e);
                                       else if (e->type == "MODIFIED") handlers_.update_func(*e);
                                       else handlers_.delete_func(*e);
                                     }),
                    gleak::recv_case(stop, [&](std::optional<gleak::Unit>) { stopped = true; }));
      if (stopped) return;
    }
  }

 private:
  gleak::Chan<WatchEvent> source_;
  ResourceEventHandlerFuncs handlers_;
};

struct ProxyWatcher {
  gleak::Chan<WatchEvent> result{0};
  gleak::Chan<gleak::Unit> stop_ch{0};
  void stop() { stop_ch.close(); }
};

std::shared_ptr<ProxyWatcher> new_indexer_informer_watcher(gleak::Chan<WatchEvent> source) {
  auto w = std::make_shared<ProxyWatcher>();
  auto t = std::make_shared<Ticketer>();
  auto emit = [w, t](const WatchEvent& e) {
    uint64_t ticket = t->get_ticket();
    gleak::go([t, ticket, f = std::function<void()>([w, e] { w->result.send(e); })] {
      t->wait_for_ticket(ticket, f);
    });
  };
  auto informer = std::make_shared<Informer>(source, ResourceEventHandlerFuncs{emit, emit, emit});
  gleak::go([informer, stop = w->stop_ch] { informer->run(stop); });
  return w;
}

}  // namespace

int main() {
  return gleak::run([] {
    std::string issued;
    {
      // The apiserver's answer to the CSR watch: five events.
      gleak::Chan<WatchEvent> source(8);
      for (const char* n : {"csr-7x2", "csr-7x2", "csr-9k1", "csr-9k1", "csr-9k1"})
        source.send(WatchEvent{issued.empty() ? "ADDED" : "MODIFIED", n});
      auto w = new_indexer_informer_watcher(source);
      for (int i = 0; i < 2; ++i) {
        std::optional<WatchEvent> e = w->result.recv();
        if (e) issued = e->name;
      }
      gleak::sleep(40ms);  // write the certificate and key to disk
      w->stop();
    }
    std::printf("certificate from %s\n", issued.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The kubelet goes on syncing pods.
    long synced = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      synced += static_cast<long>(issued.size()) + tick % 3;
      if (tick % 1000 == 999) std::printf("synced %ld\n", synced);
    }
  });
}
