// Look-alike of the rethinkdb-go node refresh leak (rethinkdb/rethinkdb-go#178): a session
// is dropped without Close(), so each node's refresh ticker keeps running. Query goroutines
// leak their pooled connection and then wait in the pool's Cond for a free one; only the
// node's refresh goroutine, woken by the ticker every 300 ms, reclaims stale connections
// and signals the Cond. The waiters are reachable through ticker -> refresh goroutine ->
// node -> pool, so nothing is leaked.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Conn {
  long id = 0;
  gleak::TimePoint last_used;
};

class Pool {
 public:
  Conn get() {
    std::lock_guard<gleak::Mutex> g(mu_);
    while (idle_.empty() && open_ >= max_open_) cond_.wait();
    if (!idle_.empty()) {
      Conn c = idle_.front();
      idle_.pop_front();
      return c;
    }
    ++open_;
    return Conn{++next_id_, gleak::Clock::now()};
  }
  void put(Conn c) {
    std::lock_guard<gleak::Mutex> g(mu_);
    idle_.push_back(c);
    cond_.signal();
  }
  // reclaim closes the connections checked out for too long (their owner lost them).
  void reclaim(gleak::TimePoint now) {
    std::lock_guard<gleak::Mutex> g(mu_);
    if (open_ > 0 && now - last_reclaim_ > 900ms) {
      --open_;
      last_reclaim_ = now;
      cond_.signal();
    }
  }

 private:
  gleak::Mutex mu_;
  gleak::Cond cond_{mu_};
  std::deque<Conn> idle_;
  int open_ = 0;
  int max_open_ = 1;
  long next_id_ = 0;
  gleak::TimePoint last_reclaim_ = gleak::Clock::now();
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  explicit Node(std::string host) : host_(std::move(host)) {}
  Pool pool;

  void start() {
    gleak::go([self = shared_from_this()] {
      for (gleak::TimePoint& t : self->refresh_ticker_.c()) self->pool.reclaim(t);
    });
  }

 private:
  std::string host_;
  gleak::Ticker refresh_ticker_{300ms};
};

// A query that forgets to return its connection to the pool on an error path.
void run_queries(std::shared_ptr<Node> node, std::shared_ptr<std::atomic<long>> done) {
  for (;;) {
    Conn c = node->pool.get();
    gleak::sleep(1ms);  // r.table("jobs").filter(...): the table was dropped
    bool ok = c.id < 0;
    ++*done;
    if (ok) node->pool.put(c);  // the error path forgets the connection
  }
}

}  // namespace

int main() {
  return gleak::run([] {
    auto done = std::make_shared<std::atomic<long>>(0);
    {
      // A session on one node; the handler drops it without Close().
      std::map<std::string, std::shared_ptr<Node>> nodes;
      nodes["rethink-0:28015"] = std::make_shared<Node>("rethink-0:28015");
      for (auto& [h, n] : nodes) {
        n->start();
        for (int i = 0; i < 3; ++i) gleak::go(run_queries, n, done);
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      served += done->load() % 5 + 1;
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
