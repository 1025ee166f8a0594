// A client keeps its live session in a std::unique_ptr member; reconnect() replaces it
// without calling the old session's cancel (the CancelFunc dies with the Session, the
// lost-cancel bug `go vet` warns about). The old session's update loop selects on its
// context's done() and on its private updates channel, which nothing can reach any
// more: it waits for ever. The new session's loop is alive and fed by main.
// gleak-expect: leaked 1 FeedClient select
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Session {
  std::string endpoint;
  gleak::Context ctx;
  gleak::CancelFunc cancel;
  gleak::Chan<std::string> updates{0};
  std::shared_ptr<long> applied = std::make_shared<long>(0);
};

class FeedClient {
 public:
  void connect(const std::string& endpoint) {
    auto s = std::make_unique<Session>();
    s->endpoint = endpoint;
    auto [ctx, cancel] = gleak::with_cancel(gleak::background());
    s->ctx = ctx;
    s->cancel = cancel;
    gleak::go([ctx = s->ctx, updates = s->updates, applied = s->applied] {
      for (;;) {
        bool done = false;
        gleak::select(gleak::recv_case(updates, [&](std::optional<std::string> u) { *applied += u ? 1 : 0; }),
                      gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) { done = true; }));
        if (done) return;
      }
    });
    session_ = std::move(s);  // BUG: the previous session is dropped without cancel()
  }
  void reconnect() { connect(session_->endpoint + "#2"); }
  void deliver(std::string u) { session_->updates.send(std::move(u)); }
  long applied() const { return *session_->applied; }

 private:
  std::unique_ptr<Session> session_;
};

}  // namespace

int main() {
  return gleak::run([] {
    FeedClient client;
    client.connect("feed.example:7443");
    client.deliver("price EURUSD 1.0831");
    client.reconnect();  // the server asked us to move
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      client.deliver("tick " + std::to_string(tick));
      if (tick % 1000 == 999) std::printf("applied %ld\n", client.applied());
    }
  });
}
