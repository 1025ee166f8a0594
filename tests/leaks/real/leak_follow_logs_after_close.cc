// Port of the `docker logs --follow` leak (moby/moby#37391): followLogs sends each
// message with `select { case logWatcher.Msg <- msg: case <-ctx.Done(): ... }`, but on
// ctx.Done() (the container stopped and closed its log watchers) it goes on sending the
// rest of the file synchronously. The client had already hung up, so nobody reads Msg and
// followLogs blocks for ever. The logger's readers map is cleared and the container
// destroyed; two `logs -f` sessions leak two followers.
// gleak-expect: leaked 2 follow_logs chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Message {
  std::string line;
  long offset = 0;
};

struct LogWatcher {
  gleak::Chan<Message> msg{4};
  gleak::Chan<gleak::Unit> watch_close{0};
  gleak::Once close_once;

  void close() {
    close_once.call([this] { watch_close.close(); });
  }
};

void follow_logs(std::vector<std::string> file, std::shared_ptr<LogWatcher> watcher) {
  gleak::WithCancel wc = gleak::with_cancel(gleak::background());
  gleak::Context ctx = wc.ctx;
  gleak::go([watcher, cancel = wc.cancel] {
    watcher->watch_close.recv();
    cancel();
  });
  for (std::size_t i = 0;; ++i) {
    if (i >= file.size()) {
      // Wait for the file to grow (inotify) or for the watcher to close.
      if (gleak::select(gleak::recv_case(ctx.done(), [](std::optional<gleak::Unit>) {}),
                        gleak::recv_case(gleak::after(50ms), [](std::optional<gleak::TimePoint>) {})) == 0)
        return;
      --i;
      continue;
    }
    Message m{file[i], static_cast<long>(i)};
    bool closed = false;
    gleak::select(gleak::send_case(watcher->msg, m, [] {}),
                  gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) {
                    // BUG: the container is gone; flush the rest of the file synchronously.
                    for (std::size_t j = i; j < file.size(); ++j)
                      watcher->msg.send(Message{file[j], static_cast<long>(j)});
                    closed = true;
                  }));
    if (closed) return;
  }
}

class JSONFileLogger {
 public:
  void log(std::string line) {
    std::lock_guard<gleak::Mutex> g(mu_);
    file_.push_back(std::move(line));
  }
  std::shared_ptr<LogWatcher> read_logs() {
    auto w = std::make_shared<LogWatcher>();
    std::lock_guard<gleak::Mutex> g(mu_);
    readers_[w.get()] = w;
    gleak::go(follow_logs, file_, w);
    return w;
  }
  void close() {
    std::lock_guard<gleak::Mutex> g(mu_);
    for (auto& [p, w] : readers_) w->close();
    readers_.clear();
  }

 private:
  gleak::Mutex mu_;
  std::vector<std::string> file_;
  std::map<LogWatcher*, std::shared_ptr<LogWatcher>> readers_;
};

struct Container {
  std::string id;
  std::shared_ptr<JSONFileLogger> logger = std::make_shared<JSONFileLogger>();
};

// The API handler: copies messages to the HTTP client until the client hangs up.
void serve_logs(std::shared_ptr<LogWatcher> w, int client_reads, std::shared_ptr<long> bytes) {
  for (int i = 0; i < client_reads; ++i) {
    std::optional<Message> m = w->msg.recv();
    if (!m) return;
    *bytes += static_cast<long>(m->line.size());
  }
  // Ctrl-C: the client is gone; nothing tells the watcher.
}

}  // namespace

int main() {
  return gleak::run([] {
    auto bytes = std::make_shared<long>(0);
    for (int c = 0; c < 2; ++c) {
      auto ctr = std::make_unique<Container>();
      ctr->id = "c0ffee" + std::to_string(c);
      for (int i = 0; i < 200; ++i) ctr->logger->log("GET /healthz 200 " + std::to_string(i));
      gleak::go(serve_logs, ctr->logger->read_logs(), 3, bytes);
      gleak::sleep(30ms);   // the container runs for a while
      ctr->logger->close();  // it exits: its log watchers are closed
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The daemon goes on running other containers.
    long stats = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      stats += *bytes % 7 + tick % 2;
      if (tick % 1000 == 999) std::printf("stats %ld\n", stats);
    }
  });
}
