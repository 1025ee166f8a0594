// Event loops in `for { select { case ev := <-events: ...; case <-quit: return } }`
// whose owner forgets Stop(): the config loader watches two files, reloads once, and
// drops its watchers. Nobody holds `events` or `quit` any more, so both loops wait in
// select for ever.
// gleak-expect: leaked 2 Watcher select
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
  long changes() const { return *changes_; }

 private:
  std::string path_;
  gleak::Chan<Event> events_{0};
  gleak::Chan<gleak::Unit> quit_{0};
  std::shared_ptr<long> changes_ = std::make_shared<long>(0);
};

}  // namespace

int main() {
  return gleak::run([] {
    long reloads = 0;
    {
      std::vector<std::unique_ptr<Watcher>> watchers;
      watchers.push_back(std::make_unique<Watcher>("/etc/app/config.yaml"));
      watchers.push_back(std::make_unique<Watcher>("/etc/app/secrets.yaml"));
      watchers[0]->notify(1);
      watchers[1]->notify(2);
      ++reloads;
      // BUG: no w->stop() before the watchers go out of scope
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The application runs with the loaded configuration.
    long requests = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      requests += reloads + tick % 4;
      if (tick % 1000 == 999) std::printf("requests %ld\n", requests);
    }
  });
}
