// Look-alike of the timeout leak: a request times out while its worker still has to send
// on an unbuffered reply channel, but the client keeps the abandoned reply channels in a
// list and drains them on a later housekeeping tick. Until then the workers wait on a
// channel main holds.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

gleak::Chan<std::string> fetch(const std::string& url) {
  gleak::Chan<std::string> reply(0);
  gleak::go([reply, url] {
    gleak::sleep(40ms);  // slow upstream
    reply.send("200 " + url);
  });
  return reply;
}

}  // namespace

int main() {
  return gleak::run([] {
    std::vector<gleak::Chan<std::string>> abandoned;
    long timeouts = 0;
    for (const char* url : {"/a", "/b"}) {
      gleak::Chan<std::string> reply = fetch(url);
      gleak::select(gleak::recv_case(reply, [](std::optional<std::string>) {}),
                    gleak::recv_case(gleak::after(5ms), [&](std::optional<gleak::TimePoint>) {
                      ++timeouts;
                      abandoned.push_back(reply);
                    }));
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long late = 0;
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 250 == 249) {  // housekeeping every 5 s: collect late replies
        for (auto& c : abandoned) late += c.recv().has_value();
        abandoned.clear();
        std::printf("late replies %ld of %ld\n", late, timeouts);
        std::fflush(stdout);
      }
    }
  });
}
