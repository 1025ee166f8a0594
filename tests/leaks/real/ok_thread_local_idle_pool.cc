// Look-alike of dropped idle connections: each idle connection's loop waits for work on
// its own channel, and the connection is parked in a thread_local idle list of the
// worker thread that created it (a per-thread connection cache, as C++ clients keep).
// main's loop takes work to an idle connection of the thread it runs on every 3 s.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct IdleConn {
  std::string addr;
  gleak::Chan<std::string> work{0};
  long served = 0;
};

thread_local std::vector<std::shared_ptr<IdleConn>> t_idle;

void dial(const std::string& addr) {
  auto c = std::make_shared<IdleConn>();
  c->addr = addr;
  gleak::go([work = c->work, c = std::weak_ptr<IdleConn>(c)] {
    for (std::string& req : work)
      if (auto conn = c.lock()) conn->served += static_cast<long>(req.size());
  });
  t_idle.push_back(std::move(c));
}

}  // namespace

int main() {
  return gleak::run([] {
    dial("10.2.0.1:5432");
    dial("10.2.0.2:5432");
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149 && !t_idle.empty()) t_idle[static_cast<std::size_t>(tick) % t_idle.size()]->work.send("SELECT 1");
    }
  });
}
