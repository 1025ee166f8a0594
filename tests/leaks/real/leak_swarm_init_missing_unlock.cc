// Port of moby's daemon/cluster Init (moby/moby#40594, "add a missing Unlock"): with
// --force-new-cluster, Init takes c.mu (an RWMutex) to wait for running API handlers,
// then returns an error on a worker node without unlocking it. Every later API handler
// blocks in c.mu.RLock() and the node-state watcher in c.mu.Lock(). The test harness then
// restarts the daemon: the old Daemon (and its reference to the Cluster) is destroyed.
// gleak-expect: leaked 2 * sync.RWMutex.RLock
// gleak-expect: leaked 1 Cluster sync.RWMutex.Lock
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct InitRequest {
  std::string listen_addr;
  bool force_new_cluster = false;
};

struct NodeRunner {
  bool manager = false;
  bool is_manager() const { return manager; }
};

class Cluster : public std::enable_shared_from_this<Cluster> {
 public:
  void start() {
    nr_ = std::make_shared<NodeRunner>();
    gleak::go([self = shared_from_this()] { self->watch_node_state(); });
    // swarmkit reports one role change a little later
    gleak::go([ch = node_state_] {
      gleak::sleep(15ms);
      ch.send("worker:ready");
    });
  }

  gleak::Error init(const InitRequest& req) {
    std::lock_guard<gleak::Mutex> cg(control_mutex_);
    if (nr_) {
      if (req.force_new_cluster) {
        // Take c.mu temporarily to wait for presently running API handlers to finish
        // before shutting down the node.
        mu_.lock();
        if (!nr_->is_manager()) return gleak::Error("this node is not a swarm manager");  // BUG: mu_ stays locked
        mu_.unlock();
        nr_.reset();
      } else {
        return gleak::Error("this node is already part of a swarm");
      }
    }
    nr_ = std::make_shared<NodeRunner>(NodeRunner{true});
    return {};
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

  gleak::Mutex control_mutex_;
  gleak::RWMutex mu_;
  std::shared_ptr<NodeRunner> nr_;
  std::string state_ = "pending";
  std::vector<std::string> services_ = {"web", "db"};
  gleak::Chan<std::string> node_state_{0};
};

struct Daemon {
  std::string root;
  std::shared_ptr<Cluster> cluster = std::make_shared<Cluster>();
  long requests = 0;

  // Each API request is served by its own goroutine.
  void serve(const std::string& path, std::shared_ptr<std::vector<std::string>> out) {
    ++requests;
    gleak::go([c = cluster, path, out] {
      if (path == "/swarm/init") {
        if (gleak::Error err = c->init(InitRequest{"0.0.0.0:2377", true})) out->push_back(err.message());
      } else if (path == "/nodes") {
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
    d->serve("/swarm/init", log);  // on a worker node
    gleak::sleep(5ms);
    d->serve("/nodes", log);
    d->serve("/services", log);
    gleak::sleep(50ms);  // the harness times out waiting for the answers
    std::printf("daemon 1 served %ld requests, restarting\n", d->requests);
    d = std::make_unique<Daemon>();  // restart with a fresh daemon
    d->root = "/var/lib/docker-2";
    std::printf("ready\n");
    std::fflush(stdout);
    // The harness goes on with the new daemon's pings.
    long pings = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      pings += static_cast<long>(d->root.size()) % 3 + 1;
      if (tick % 1000 == 999) std::printf("pings %ld\n", pings);
    }
  });
}
