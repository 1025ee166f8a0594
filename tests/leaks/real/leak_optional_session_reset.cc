// A client keeps its login session in a std::optional<Session>; Session holds the
// shared connection state. logout() resets the optional but forgets to close the
// session's keepalive channel: the keepalive goroutine, which holds the connection
// state, waits on it for ever. The optional's storage in the live client keeps the old
// bytes.
// gleak-expect: leaked 1 keepalive chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ConnState {
  std::string server;
  gleak::Chan<gleak::Unit> stop{0};
  long pings = 0;
};

void keepalive(std::shared_ptr<ConnState> c) {
  c->stop.recv();  // the keepalive pings happen on the connection's own timer
  std::printf("keepalive for %s stopped\n", c->server.c_str());
}

struct Session {
  std::string user;
  std::shared_ptr<ConnState> conn;
};

class Client {
 public:
  void login(std::string user) {
    auto c = std::make_shared<ConnState>();
    c->server = "imap.example.org:993";
    gleak::go(keepalive, c);
    session_.emplace(Session{std::move(user), std::move(c)});
  }
  void logout() { session_.reset(); }  // BUG: session_->conn->stop is never closed
  bool logged_in() const { return session_.has_value(); }

 private:
  int retries_ = 3;
  std::optional<Session> session_;
};

}  // namespace

int main() {
  return gleak::run([] {
    Client client;
    client.login("ana");
    client.logout();
    std::printf("ready\n");
    std::fflush(stdout);
    long idle = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      idle += client.logged_in() ? 0 : 1;
      if (tick % 1000 == 999) std::printf("idle %ld\n", idle);
    }
  });
}
