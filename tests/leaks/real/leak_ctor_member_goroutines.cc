// A replication client starts its two member goroutines in its constructor: a pump that
// ranges over the outbound queue and a flusher that waits in select on flush requests and
// a quit channel. Stop() closes both, but the failover path replaces main's shared_ptr to
// the client with a new one without calling Stop(): the old client's goroutines wait for
// ever on channels that only they still hold (through the client's shared state).
// gleak-expect: leaked 1 Replicator chan receive
// gleak-expect: leaked 1 Replicator select
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ReplState {
  gleak::Chan<std::string> outbound{16};
  gleak::Chan<gleak::Unit> flush{0};
  gleak::Chan<gleak::Unit> quit{0};
  std::atomic<long> sent{0};
  std::atomic<long> flushes{0};
};

class Replicator {
 public:
  explicit Replicator(std::string peer) : peer_(std::move(peer)), s_(std::make_shared<ReplState>()) {
    gleak::go([s = s_] {
      for (std::string& rec : s->outbound) s->sent += static_cast<long>(rec.size());
    });
    gleak::go([s = s_] {
      for (;;) {
        bool stop = false;
        gleak::select(gleak::recv_case(s->flush, [&](std::optional<gleak::Unit>) { ++s->flushes; }),
                      gleak::recv_case(s->quit, [&](std::optional<gleak::Unit>) { stop = true; }));
        if (stop) return;
      }
    });
  }

  void replicate(std::string rec) { s_->outbound.send(std::move(rec)); }
  void request_flush() { s_->flush.send(gleak::Unit{}); }
  void Stop() {
    s_->outbound.close();
    s_->quit.close();
  }
  bool healthy() const { return peer_.find("db-1") == std::string::npos; }  // db-1 lost its disk
  long sent() const { return s_->sent.load(); }
  const std::string& peer() const { return peer_; }

 private:
  std::string peer_;
  std::shared_ptr<ReplState> s_;
};

}  // namespace

int main() {
  return gleak::run([] {
    auto client = std::make_shared<Replicator>("db-1.internal:7000");
    client->replicate("SET user:1 ana");
    client->request_flush();
    if (!client->healthy()) {
      // BUG: failover without client->Stop(); the old client's goroutines stay parked
      client = std::make_shared<Replicator>("db-2.internal:7000");
    }
    std::printf("replicating to %s\n", client->peer().c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      client->replicate("INCR tick " + std::to_string(tick));
      if (tick % 50 == 49) client->request_flush();
      if (tick % 1000 == 999) std::printf("sent %ld\n", client->sent());
    }
  });
}
