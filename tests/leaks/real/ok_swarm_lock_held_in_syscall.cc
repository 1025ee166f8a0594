// Look-alike of the moby daemon/cluster missing-Unlock bug (moby/moby#40594): API handlers
// block in c.mu.RLock() and the node-state watcher in c.mu.Lock(), and the harness drops
// the Daemon, but here c.mu is held by a goroutine writing a raft snapshot in fsync'd
// chunks (gleak::blocking, a system call) that will unlock it when done. That goroutine
// holds the Cluster, so the waiters are not leaked.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

class Cluster : public std::enable_shared_from_this<Cluster> {
 public:
  void start() {
    gleak::go([self = shared_from_this()] { self->watch_node_state(); });
    gleak::go([ch = node_state_] {
      gleak::sleep(15ms);
      ch.send("manager:reachable");
    });
  }

  // snapshot writes the raft state under the write lock.
  void snapshot(long chunks) {
    std::lock_guard<gleak::RWMutex> g(mu_);
    for (long i = 0; i < chunks; ++i) {
      gleak::blocking([] { std::this_thread::sleep_for(200ms); });  // write + fsync a chunk
      ++snapshot_chunks_;
    }
  }

  std::vector<std::string> get_nodes() {
    std::shared_lock<gleak::RWMutex> g(mu_);
    return {"node-1 (" + state_ + ")"};
  }
  std::vector<std::string> get_services() {
    std::shared_lock<gleak::RWMutex> g(mu_);
    return services_;
  }

 private:
  void watch_node_state() {
    for (const std::string& st : node_state_) {
      mu_.lock();
      state_ = st;
      mu_.unlock();
    }
  }

  gleak::RWMutex mu_;
  std::string state_ = "pending";
  long snapshot_chunks_ = 0;
  std::vector<std::string> services_ = {"web", "db"};
  gleak::Chan<std::string> node_state_{0};
};

struct Daemon {
  std::string root;
  std::shared_ptr<Cluster> cluster = std::make_shared<Cluster>();
  long requests = 0;

  void serve(const std::string& path, std::shared_ptr<std::vector<std::string>> out) {
    ++requests;
    gleak::go([c = cluster, path, out] {
      if (path == "/nodes") {
        for (auto& n : c->get_nodes()) out->push_back(n);
      } else if (path == "/services") {
        for (auto& s : c->get_services()) out->push_back(s);
      }
    });
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    auto log = std::make_shared<std::vector<std::string>>();
    auto d = std::make_unique<Daemon>();
    d->root = "/var/lib/docker-1";
    d->cluster->start();
    gleak::go([c = d->cluster] { c->snapshot(3000); });  // a 10-minute snapshot
    gleak::sleep(5ms);
    d->serve("/nodes", log);
    d->serve("/services", log);
    gleak::sleep(50ms);  // the harness times out waiting for the answers
    std::printf("daemon 1 served %ld requests, restarting\n", d->requests);
    d = std::make_unique<Daemon>();
    d->root = "/var/lib/docker-2";
    std::printf("ready\n");
    std::fflush(stdout);
    long pings = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      pings += static_cast<long>(d->root.size()) % 3 + 1;
      if (tick % 1000 == 999) std::printf("pings %ld\n", pings);
    }
  });
}
