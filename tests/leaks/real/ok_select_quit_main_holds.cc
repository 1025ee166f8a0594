// Look-alike of leak_select_dropped_owner: the same file watchers wait in select on their
// events and quit channels, but main keeps the watchers, delivers an event now and then,
// and would stop them at shutdown.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Event {
  std::string path;
  int op = 0;
};

class Watcher {
 public:
  explicit Watcher(std::string path) : path_(std::move(path)) {
    gleak::go([events = events_, quit = quit_, counter = changes_] {
      for (;;) {
        bool stop = false;
        gleak::select(gleak::recv_case(events, [&](std::optional<Event> ev) { *counter += ev ? ev->op : 0; }),
                      gleak::recv_case(quit, [&](std::optional<gleak::Unit>) { stop = true; }));
        if (stop) return;
      }
    });
  }
  void notify(int op) const { events_.send(Event{path_, op}); }
  void stop() const { quit_.close(); }

 private:
  std::string path_;
  gleak::Chan<Event> events_{0};
  gleak::Chan<gleak::Unit> quit_{0};
  std::shared_ptr<long> changes_ = std::make_shared<long>(0);
};

}  // namespace

int main() {
  return gleak::run([] {
    std::vector<std::unique_ptr<Watcher>> watchers;
    watchers.push_back(std::make_unique<Watcher>("/etc/app/config.yaml"));
    watchers.push_back(std::make_unique<Watcher>("/etc/app/secrets.yaml"));
    watchers[0]->notify(1);
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) watchers[static_cast<std::size_t>(tick / 150 % 2)]->notify(2);  // inotify event
      if (tick == 1000000) {
        for (auto& w : watchers) w->stop();
        break;
      }
    }
    return 0;
  });
}
