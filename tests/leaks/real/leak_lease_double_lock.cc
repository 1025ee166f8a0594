// Double lock through a helper: LeaseStore::renew takes the store's mutex and then
// calls remaining(), which takes the same (non-reentrant) mutex to read the TTL —
// a shape Go code meets whenever a locked method calls an exported one. The renewing
// request deadlocks on itself; the store's expiry loop then waits for the mutex too.
// Only those two goroutines hold the store.
// gleak-expect: leaked 2 * sync.Mutex.Lock
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Lease {
  std::string holder;
  int ttl_ms = 0;
};

class LeaseStore {
 public:
  int remaining(long id) {
    std::lock_guard<gleak::Mutex> g(mu_);
    auto it = leases_.find(id);
    return it == leases_.end() ? 0 : it->second.ttl_ms;
  }

  void grant(long id, std::string holder, int ttl_ms) {
    std::lock_guard<gleak::Mutex> g(mu_);
    leases_[id] = Lease{std::move(holder), ttl_ms};
  }

  bool renew(long id, int ttl_ms) {
    std::lock_guard<gleak::Mutex> g(mu_);
    if (remaining(id) <= 0) return false;  // BUG: remaining() locks mu_ again
    leases_[id].ttl_ms = ttl_ms;
    return true;
  }

  // expire_loop drops leases whose TTL ran out.
  void expire_loop() {
    for (;;) {
      gleak::sleep(5ms);
      std::lock_guard<gleak::Mutex> g(mu_);
      for (auto it = leases_.begin(); it != leases_.end();) {
        it->second.ttl_ms -= 5;
        it = it->second.ttl_ms <= 0 ? leases_.erase(it) : std::next(it);
      }
    }
  }

 private:
  gleak::Mutex mu_;
  std::map<long, Lease> leases_;
};

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto store = std::make_shared<LeaseStore>();
      gleak::go([store] { store->expire_loop(); });
      store->grant(7, "scheduler-0", 5000);
      store->grant(8, "controller-1", 5000);
      // The keep-alive RPC of controller-1 arrives.
      gleak::go([store] {
        bool ok = store->renew(8, 5000);
        std::printf("renew: %d\n", ok);
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long heartbeats = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      heartbeats += tick % 5;
      if (tick % 1000 == 999) std::printf("heartbeats %ld\n", heartbeats);
    }
  });
}
