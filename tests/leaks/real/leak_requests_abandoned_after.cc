// Goroutine per request, abandoned on timeout: main serves a request on every tick of
// its loop, each by a goroutine that reports on an unbuffered channel, and waits with
// select on the reply and gleak::after(15ms). The first three requests miss the cache and
// the backend answers only after the timeout; their goroutines block for ever on the send.
// Later requests hit the cache and answer at once.
// gleak-expect: leaked 3 Backend chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Reply {
  int status = 0;
  std::string body;
};

struct Cache {
  gleak::Mutex mu;
  std::map<std::string, std::string> rows;

  std::optional<std::string> find(const std::string& key) {
    std::lock_guard<gleak::Mutex> g(mu);
    auto it = rows.find(key);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, std::string row) {
    std::lock_guard<gleak::Mutex> g(mu);
    rows[key] = std::move(row);
  }
};

struct Backend {
  std::shared_ptr<Cache> cache = std::make_shared<Cache>();

  gleak::Chan<Reply> get(const std::string& key) const {
    gleak::Chan<Reply> reply(0);  // BUG: unbuffered
    auto c = cache;
    gleak::go([reply, c, key] {
      std::optional<std::string> row = c->find(key);
      if (!row) {
        gleak::sleep(80ms);  // cache miss: the database round trip
        row = "row:" + key;
        c->put(key, *row);
      }
      reply.send(Reply{200, *row});
    });
    return reply;
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    Backend backend;
    for (const char* k : {"user:1", "user:2"}) backend.cache->put(k, std::string("row:") + k);
    std::printf("ready\n");
    std::fflush(stdout);
    long ok = 0, timeouts = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      std::string key = tick < 3 ? "user:" + std::to_string(100 + tick) : "user:" + std::to_string(1 + tick % 2);
      {
        gleak::Chan<Reply> reply = backend.get(key);
        gleak::select(gleak::recv_case(reply, [&](std::optional<Reply> r) { ok += r && r->status == 200; }),
                      gleak::recv_case(gleak::after(15ms), [&](std::optional<gleak::TimePoint>) { ++timeouts; }));
      }
      if (tick % 1000 == 999) std::printf("ok %ld timeouts %ld\n", ok, timeouts);
    }
  });
}
