// Look-alike of leak_reply_in_request_buffer: clients wait on reply channels whose only
// other reference sits in the buffer of the resolver's request queue; the resolver's
// serve loop is alive (it sleeps between batches of 5 s) and will answer them.
// gleak-expect: none
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

}  // namespace

int main() {
  return gleak::run([] {
    auto resolved = std::make_shared<long>(0);
    {
      gleak::Chan<Request> queue(16);
      gleak::go([queue] {
        for (;;) {
          gleak::sleep(5s);  // batch upstream queries
          while (queue.len() > 0) {
            Request r = *queue.recv();
            r.reply.send("10.0.0." + std::to_string(r.name.size()));
          }
        }
      });
      for (const char* n : {"db.internal", "cache.internal"}) {
        gleak::go([queue, resolved, name = std::string(n)] {
          gleak::Chan<std::string> reply(0);
          queue.send(Request{name, reply});
          *resolved += static_cast<long>(reply.recv().value_or("").size());
        });
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("resolved %ld\n", *resolved);
    }
  });
}
