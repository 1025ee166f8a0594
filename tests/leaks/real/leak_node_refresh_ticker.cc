// Port of the rethinkdb-go node refresh leak (rethinkdb/rethinkdb-go#178): each Node
// starts `go func() { for range n.refreshTicker.C { n.Refresh() } }()`, and Node.Close()
// only calls refreshTicker.Stop(), which does not close the channel. Every session closed
// leaves one refresh goroutine per node waiting for a tick that never comes; the cluster
// (and its nodes map) is destroyed with the session. Two sessions on a two-node cluster
// leak four.
// gleak-expect: leaked 4 Node chan receive
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

class Node : public std::enable_shared_from_this<Node> {
 public:
  explicit Node(std::string host) : host_(std::move(host)) {}

  void start() {
    gleak::go([self = shared_from_this()] {
      for (gleak::TimePoint& t : self->refresh_ticker_.c()) self->refresh(t);
    });
  }

  void refresh(gleak::TimePoint) {
    std::lock_guard<gleak::Mutex> g(mu_);
    ++refreshes_;  // SELECT * FROM rethinkdb.server_status
  }

  void close() {
    std::lock_guard<gleak::Mutex> g(mu_);
    refresh_ticker_.stop();  // BUG: the refresh goroutine ranges over a channel nobody closes
    closed_ = true;
  }

 private:
  std::string host_;
  gleak::Ticker refresh_ticker_{5ms};
  gleak::Mutex mu_;
  long refreshes_ = 0;
  bool closed_ = false;
};

class Cluster {
 public:
  explicit Cluster(const std::vector<std::string>& hosts) {
    for (const std::string& h : hosts) {
      auto n = std::make_shared<Node>(h);
      n->start();
      nodes_[h] = n;
    }
  }
  void close() {
    for (auto& [h, n] : nodes_) n->close();
    nodes_.clear();
  }
  std::size_t size() const { return nodes_.size(); }

 private:
  std::map<std::string, std::shared_ptr<Node>> nodes_;
};

struct Session {
  std::unique_ptr<Cluster> cluster;
  std::string db = "test";
  void close() { cluster->close(); }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::atomic<long> queries{0};
    // A web handler opens a session per batch job and closes it when done.
    for (int job = 0; job < 2; ++job) {
      auto s = std::make_unique<Session>();
      s->cluster = std::make_unique<Cluster>(std::vector<std::string>{"rethink-0:28015", "rethink-1:28015"});
      gleak::sleep(12ms);  // run the job's queries
      queries += static_cast<long>(s->cluster->size());
      s->close();
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      served += queries.load() + tick % 2;
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
