// Port of pulsar-client-go's connection.failLeftRequestsWhenClose
// (apache/pulsar-client-go#498): on close, the connection's run loop fails the requests left
// in incomingRequestsCh with `for req := range c.incomingRequestsCh { ... }` and only then
// closes the channel. The range never ends: once the buffer is drained the run goroutine
// waits for ever on a channel that only it could close. The pool forgets the connection.
// gleak-expect: leaked 1 Connection chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Request {
  long id = 0;
  std::string cmd;
};

struct Connection : std::enable_shared_from_this<Connection> {
  std::string broker;
  gleak::Chan<Request> incoming_requests{10};
  gleak::Chan<gleak::Unit> close_ch{0};
  long sent = 0, failed = 0;

  void start() {
    auto self = shared_from_this();
    gleak::go([self] { self->run(); });
  }
  void run() {
    for (;;) {
      bool closing = false;
      gleak::select(gleak::recv_case(incoming_requests, [&](std::optional<Request>) { ++sent; }),
                    gleak::recv_case(close_ch, [&](std::optional<gleak::Unit>) { closing = true; }));
      if (closing) break;
    }
    fail_left_requests_when_close();
  }
  void fail_left_requests_when_close() {
    for (Request& r : incoming_requests) failed += r.id > 0;  // BUG: nobody closes the channel
    incoming_requests.close();
  }
  void send_request(Request r) { incoming_requests.send(std::move(r)); }
  void close() { close_ch.close(); }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::map<std::string, std::shared_ptr<Connection>> pool;
    {
      auto conn = std::make_shared<Connection>();
      conn->broker = "pulsar://broker-1:6650";
      pool[conn->broker] = conn;
      conn->start();
      for (long id = 1; id <= 3; ++id) conn->send_request({id, "LOOKUP"});
      conn->close();  // the broker went away
      pool.erase(conn->broker);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The client goes on producing to its in-memory batch.
    long batched = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      batched += 1 + tick % 5;
      if (tick % 1000 == 999) std::printf("batched %ld (%zu connections)\n", batched, pool.size());
    }
  });
}
