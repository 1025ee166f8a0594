// Session table kept in a std::map<int, Session> that main's accept loop uses; each
// Session holds the shared connection state whose writer goroutine ranges over the
// state's send queue. Evicting an idle session erases it from the map without closing
// the queue, so its writer waits in `range queue` for ever. The map node is freed.
// gleak-expect: leaked 1 drain_queue chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct ConnState {
  std::string remote;
  gleak::Chan<std::string> queue{8};
  long written = 0;
};

void drain_queue(std::shared_ptr<ConnState> c) {
  for (std::string& frame : c->queue) c->written += static_cast<long>(frame.size());
}

struct Session {
  std::string user;
  std::shared_ptr<ConnState> conn;
  int idle_ticks = 0;
};

class SessionTable {
 public:
  int open(std::string user, std::string remote) {
    auto c = std::make_shared<ConnState>();
    c->remote = std::move(remote);
    gleak::go(drain_queue, c);
    sessions_[next_] = Session{std::move(user), std::move(c), 0};
    return next_++;
  }
  void evict_idle(int limit) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (++it->second.idle_ticks > limit) {
        it = sessions_.erase(it);  // BUG: it->second.conn->queue is not closed
      } else {
        ++it;
      }
    }
  }
  void touch(int id, std::string frame) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    it->second.idle_ticks = 0;
    it->second.conn->queue.send(std::move(frame));
  }
  std::size_t size() const { return sessions_.size(); }

 private:
  std::map<int, Session> sessions_;
  int next_ = 1;
};

}  // namespace

int main() {
  return gleak::run([] {
    SessionTable table;
    int active = table.open("ana", "198.51.100.4:50412");
    table.open("bob", "198.51.100.7:61022");  // bob goes quiet
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      table.touch(active, "PING " + std::to_string(tick));
      table.evict_idle(5);
      if (tick % 1000 == 999) std::printf("sessions %zu\n", table.size());
    }
  });
}
