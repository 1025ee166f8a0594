// Look-alike of a dropped worker pool: each worker waits in select on its own
// commands and stop channels, held in a std::vector<std::unique_ptr<Worker>> that main
// iterates every tick for stats and, every 3 s, to hand one worker a command.
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

struct Worker {
  gleak::Chan<std::string> commands{0};
  gleak::Chan<gleak::Unit> stop{0};
  std::shared_ptr<long> handled = std::make_shared<long>(0);

  void start() {
    gleak::go([commands = commands, stop = stop, handled = handled] {
      for (;;) {
        bool quit = false;
        gleak::select(gleak::recv_case(commands, [&](std::optional<std::string> c) { *handled += c ? 1 : 0; }),
                      gleak::recv_case(stop, [&](std::optional<gleak::Unit>) { quit = true; }));
        if (quit) return;
      }
    });
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < 3; ++i) {
      workers.push_back(std::make_unique<Worker>());
      workers.back()->start();
    }
    std::printf("ready\n");
    std::fflush(stdout);
    long total = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      for (const auto& w : workers) total += *w->handled;
      if (tick % 150 == 149) workers[static_cast<std::size_t>(tick / 150) % workers.size()]->commands.send("rotate-logs");
      if (tick % 1000 == 999) std::printf("total %ld\n", total);
    }
  });
}
