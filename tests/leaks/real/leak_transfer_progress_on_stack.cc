// A download goroutine blocks for ever reading from a connection whose reader exited
// without closing `chunks` (the leak). Its progress record lives on its own stack and is
// registered with the UI poller (a sleeping loop) by pointer; the record points at the
// `updates` channel in the caller's frame, to which the poller forwards the percentage
// every 5 s and on which the progress bar goroutine waits. The progress bar is not
// leaked: the poller reaches `updates` through the record.
// gleak-expect: leaked 1 download_file chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Progress {
  std::string file;
  long done = 0, total = 0;
  gleak::Chan<int>* updates = nullptr;
};

struct Poller {
  gleak::Mutex mu;
  std::vector<Progress*> active;
};

void download_file(std::string url, gleak::Chan<int>& updates, std::shared_ptr<Poller> poller) {
  Progress prog{url, 0, 1 << 20, &updates};
  {
    std::lock_guard<gleak::Mutex> g(poller->mu);
    poller->active.push_back(&prog);
  }
  gleak::Chan<std::vector<char>> chunks(0);
  gleak::go([chunks] {
    gleak::sleep(2ms);  // the connection resets
    // BUG: returns without chunks.close()
  });
  for (std::vector<char>& c : chunks) prog.done += static_cast<long>(c.size());
  std::lock_guard<gleak::Mutex> g(poller->mu);
  std::erase(poller->active, &prog);
}

void start_download(std::string url, std::shared_ptr<Poller> poller) {
  gleak::Chan<int> updates(0);
  gleak::go([updates] {
    for (int pct : updates) std::fprintf(stderr, "progress %d%%\n", pct);  // redraw the progress bar
  });
  download_file(url, updates, poller);
  updates.close();
}

}  // namespace

int main() {
  return gleak::run([] {
    auto poller = std::make_shared<Poller>();
    gleak::go([poller] {
      for (;;) {
        gleak::sleep(5s);
        std::lock_guard<gleak::Mutex> g(poller->mu);
        for (Progress* p : poller->active) p->updates->send(static_cast<int>(p->done * 100 / p->total));
      }
    });
    gleak::go(start_download, std::string("https://mirror.example/iso/debian-12.iso"), poller);
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("\n");
    }
  });
}
