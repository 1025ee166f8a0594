// Hedged reads: the router sends the same query to three replicas, each started as
// `go replica.Query(q, replyCh)` with its own unbuffered reply channel, and returns
// the first answer. The two slower replicas block for ever sending their answers. The
// replicas themselves stay in main's pool; only the per-call reply channels are lost.
// gleak-expect: leaked 2 query chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Reply {
  std::string replica;
  std::string rows;
};

class Replica {
 public:
  Replica(std::string name, gleak::Duration latency) : name_(std::move(name)), latency_(latency) {}
  void query(std::string q, gleak::Chan<Reply> out) {
    gleak::sleep(latency_);
    ++served_;
    out.send(Reply{name_, "rows for " + q});
  }
  long served() const { return served_; }

 private:
  std::string name_;
  gleak::Duration latency_;
  long served_ = 0;
};

using Pool = std::vector<std::shared_ptr<Replica>>;

Reply hedged_read(const Pool& pool, const std::string& q) {
  std::vector<gleak::Chan<Reply>> replies;
  for (const auto& r : pool) {
    replies.emplace_back(0);
    gleak::go(&Replica::query, r, q, replies.back());
  }
  Reply first;
  auto take = [&](std::optional<Reply> r) { first = std::move(*r); };
  gleak::select(gleak::recv_case(replies[0], take), gleak::recv_case(replies[1], take),
                gleak::recv_case(replies[2], take));
  return first;  // BUG: the other replies are never received
}

}  // namespace

int main() {
  return gleak::run([] {
    Pool pool = {std::make_shared<Replica>("db-1", 2ms), std::make_shared<Replica>("db-2", 15ms),
                 std::make_shared<Replica>("db-3", 30ms)};
    {
      Reply r = hedged_read(pool, "SELECT * FROM accounts WHERE id = 42");
      std::printf("answered by %s\n", r.replica.c_str());
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long load = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      for (const auto& r : pool) load += r->served();
      if (tick % 1000 == 999) std::printf("load %ld\n", load);
    }
  });
}
