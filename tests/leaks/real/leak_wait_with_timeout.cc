// Port of godis' wait.Wait.WaitWithTimeout (HDT3213/godis#70, after the #31 fix): it starts
// `go func() { wg.Wait(); c <- true }()` and selects on c and time.After. Closing a client
// waits for its in-flight replies with a timeout; a reply whose write failed returned
// without Done, so the wait times out, the client is discarded, and the goroutine inside
// WaitWithTimeout waits for ever on the WaitGroup nobody else can reach.
// gleak-expect: leaked 1 wait_with_timeout sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

// Wait is a WaitGroup that can be waited on with a timeout.
struct Wait {
  gleak::WaitGroup wg;
  void add(int n) { wg.add(n); }
  void done() { wg.done(); }
  // wait_with_timeout says whether the timeout passed first.
  bool wait_with_timeout(std::shared_ptr<Wait> self, gleak::Duration timeout) {
    gleak::Chan<bool> c(1);
    gleak::go([self, c] {
      self->wg.wait();
      c.send(true);
      c.close();
    });
    bool timed_out = false;
    gleak::select(gleak::recv_case(c, [](std::optional<bool>) {}),
                  gleak::recv_case(gleak::after(timeout), [&](std::optional<gleak::TimePoint>) { timed_out = true; }));
    return timed_out;
  }
};

struct Client {
  std::string addr;
  std::shared_ptr<Wait> waiting_reply = std::make_shared<Wait>();
  bool conn_broken = false;

  // write sends a reply; the waiting-reply counter covers it while it is in flight.
  bool write(const std::string& reply) {
    waiting_reply->add(1);
    if (conn_broken || reply.empty()) return false;  // BUG: returns without Done
    waiting_reply->done();
    return true;
  }
  void close() {
    if (waiting_reply->wait_with_timeout(waiting_reply, 20ms)) std::printf("%s: close timed out\n", addr.c_str());
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::map<std::string, std::shared_ptr<Client>> clients;
    long replies = 0;
    {
      auto c = std::make_shared<Client>();
      c->addr = "10.1.0.4:53122";
      clients[c->addr] = c;
      replies += c->write("+OK\r\n");
      c->conn_broken = true;  // the peer reset the connection
      replies += c->write("$5\r\nhello\r\n");
      c->close();
      clients.erase(c->addr);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The server keeps serving its other clients (in-process, no waits).
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      auto c = std::make_shared<Client>();
      c->addr = "10.1.0.5:" + std::to_string(40000 + tick % 1000);
      clients[c->addr] = c;
      replies += c->write("+PONG\r\n");
      clients.erase(c->addr);
      if (tick % 1000 == 999) std::printf("replies %ld\n", replies);
    }
  });
}
