// Port of godet's RemoteDebugger.Close (raff/godet#38): the debugger runs a reader
// goroutine on the websocket and a sender goroutine that takes requests from a channel.
// Close closes the websocket, which ends the reader, but not the requests channel, so the
// sender waits for a request that can never come once the debugger is dropped.
// gleak-expect: leaked 1 send_messages chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

// WebSocket stands for the DevTools connection: frames in, frames out.
struct WebSocket {
  gleak::Chan<std::string> incoming{8};
  gleak::Mutex mu;
  std::vector<std::string> written;
  void write(const std::string& frame) {
    std::lock_guard<gleak::Mutex> g(mu);
    written.push_back(frame);
  }
  void close() { incoming.close(); }
};

struct RemoteDebugger : std::enable_shared_from_this<RemoteDebugger> {
  std::shared_ptr<WebSocket> ws = std::make_shared<WebSocket>();
  gleak::Chan<std::string> requests{0};
  long reqid = 0;
  long events = 0;

  void start() {
    auto self = shared_from_this();
    gleak::go([self] { self->send_messages(); });
    gleak::go([self] { self->read_messages(); });
  }
  void send_messages() {
    for (const std::string& req : requests) ws->write(req);
  }
  void read_messages() {
    for (const std::string& frame : ws->incoming) events += !frame.empty();
  }
  void call(const std::string& method) {
    requests.send("{\"id\":" + std::to_string(++reqid) + ",\"method\":\"" + method + "\"}");
  }
  void close() { ws->close(); }  // BUG: requests is never closed
};

}  // namespace

int main() {
  return gleak::run([] {
    long pages = 0;
    {
      auto remote = std::make_shared<RemoteDebugger>();
      remote->start();
      remote->call("Page.enable");
      remote->call("Page.navigate");
      remote->ws->incoming.send("{\"method\":\"Page.loadEventFired\"}");
      remote->close();
      ++pages;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The crawler goes on parsing what it fetched.
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      pages += tick % 2;
      if (tick % 1000 == 999) std::printf("pages %ld\n", pages);
    }
  });
}
