// Look-alike of a dropped reload channel: the reload watcher ranges over a channel whose
// owner is a heap Notifier that nobody owns by smart pointer; it is reached from the
// global g_config (a raw pointer to a heap Config) through Config::notifier, a second
// raw pointer. main triggers a reload through g_config->notifier every 3 s.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Notifier {
  gleak::Chan<std::string> reload{0};
};

struct Config {
  std::string path;
  Notifier* notifier = nullptr;
};

Config* g_config = nullptr;
std::atomic<long> reloads{0};

void install_config(const std::string& path) {
  auto* n = new Notifier;
  gleak::go([ch = n->reload] {
    for (std::string& why : ch) reloads += 1 + static_cast<long>(why.empty());
  });
  g_config = new Config{path, n};
}

}  // namespace

int main() {
  return gleak::run([] {
    install_config("/etc/gateway/routes.yaml");
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) g_config->notifier->reload.send("inotify: " + g_config->path);
      if (tick % 1000 == 999) std::printf("reloads %ld\n", reloads.load());
    }
  });
}
