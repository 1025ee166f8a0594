// Channel of channels without a server: a client enqueues Request{reply} on the
// buffered request queue of a resolver whose serve loop returns on a config error
// without reading it, then waits on its reply channel. The only references to the reply
// channel are the client's own frame and the request sitting in the dead queue's
// buffer, which only the client holds.
// gleak-expect: leaked 1 resolve chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Request {
  std::string name;
  gleak::Chan<std::string> reply;
};

struct Resolver {
  gleak::Chan<Request> queue{16};
  bool config_ok = false;

  void serve() {
    if (!config_ok) {
      std::printf("resolver: bad upstream config\n");
      return;  // BUG: callers keep enqueuing
    }
    for (Request& r : queue) r.reply.send("10.0.0.1");
  }
};

std::string resolve(std::shared_ptr<Resolver> res, std::string name) {
  Request req{std::move(name), gleak::Chan<std::string>(0)};
  gleak::Chan<std::string> reply = req.reply;
  res->queue.send(std::move(req));
  return reply.recv().value_or("");
}

}  // namespace

int main() {
  return gleak::run([] {
    auto resolved = std::make_shared<long>(0);
    {
      auto res = std::make_shared<Resolver>();
      gleak::go([res] { res->serve(); });
      gleak::go([res, resolved] { *resolved += static_cast<long>(resolve(res, "db.internal").size()); });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("resolved %ld\n", *resolved);
    }
  });
}
