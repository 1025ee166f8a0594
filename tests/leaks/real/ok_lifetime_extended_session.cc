// Look-alike of a dropped session: a worker waits on the session's request channel,
// and the only handle main keeps is a reference bound to a temporary — `const Session&
// s = open_session(...)` — whose lifetime lasts as long as the reference. Main's loop
// reads the session through that reference and hands the worker a request every 2 s.
// The temporary's own stack words are no longer read directly; the reference to them is.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Session {
  std::string user;
  gleak::Chan<std::string> requests;
  gleak::Chan<long> replies;
};

Session open_session(std::string user) {
  Session s{std::move(user), gleak::Chan<std::string>(0), gleak::Chan<long>(1)};
  gleak::go([in = s.requests, out = s.replies] {
    for (const std::string& r : in) out.send(static_cast<long>(r.size()));
  });
  return s;
}

}  // namespace

int main() {
  return gleak::run([] {
    const Session& s = open_session("ops");
    std::printf("ready\n");
    std::fflush(stdout);
    long bytes = 0;
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 100 == 99) {
        s.requests.send("status " + s.user + " " + std::to_string(tick));
        bytes += s.replies.recv().value_or(0);
      }
      if (tick % 1000 == 999) std::printf("%s: %ld bytes\n", s.user.c_str(), bytes);
    }
  });
}
