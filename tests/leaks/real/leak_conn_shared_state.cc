// A connection whose state (outbox channel, mutex, WaitGroup) is a struct held by
// shared_ptr in every goroutine of the connection. On EOF the read loop calls shutdown(),
// which takes the mutex, queues a GOAWAY, closes the outbox and waits for the write and
// keepalive loops while still holding the mutex; both need the mutex to go on. The server
// dropped the connection when it was accepted; only its own goroutines hold it.
// gleak-expect: leaked 2 * sync.Mutex.Lock
// gleak-expect: leaked 1 shutdown sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Conn {
  gleak::Chan<std::string> outbox{16};
  gleak::Chan<std::string> socket_in{0};
  gleak::Mutex mu;
  gleak::WaitGroup loops;
  bool closed = false;
  std::vector<std::string> wire;  // what was written to the socket
  long pings = 0;

  void write_loop() {
    for (const std::string& frame : outbox) {
      std::lock_guard<gleak::Mutex> g(mu);
      wire.push_back(frame);
    }
    loops.done();
  }
  void keepalive_loop() {
    for (;;) {
      gleak::sleep(10ms);
      std::lock_guard<gleak::Mutex> g(mu);
      if (closed) break;
      ++pings;
    }
    loops.done();
  }
  void read_loop() {
    for (const std::string& msg : socket_in) {
      std::lock_guard<gleak::Mutex> g(mu);
      if (!closed) outbox.send("ACK " + msg);
    }
    shutdown();  // EOF
  }
  void shutdown() {
    std::lock_guard<gleak::Mutex> g(mu);
    closed = true;
    outbox.send("GOAWAY");
    outbox.close();
    loops.wait();  // BUG: waits for loops that need mu
  }
};

void serve(std::shared_ptr<Conn> c) {
  c->loops.add(2);
  gleak::go([c] { c->write_loop(); });
  gleak::go([c] { c->keepalive_loop(); });
  gleak::go([c] { c->read_loop(); });
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      // Accept one connection; the peer sends three messages, then hangs up.
      auto conn = std::make_shared<Conn>();
      serve(conn);
      gleak::Chan<std::string> in = conn->socket_in;
      gleak::go([in] {
        for (const char* m : {"HELLO", "SUBSCRIBE orders", "PING"}) in.send(m);
        in.close();
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The server goes on with its accept loop (no more clients in this run).
    long idle = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      idle += tick % 2;
      if (tick % 1000 == 999) std::printf("idle %ld\n", idle);
    }
  });
}
