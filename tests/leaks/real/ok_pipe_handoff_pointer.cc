// Look-alike of an abandoned lookup: a legacy C resolver library runs on its own
// thread and takes requests as pointers written into a pipe (the self-pipe handoff of
// many C event loops); it wakes every 3 s and answers each request on its reply
// channel. Between the write and the resolver's read, the Request exists only as the
// pointer in the pipe's kernel buffer.
// gleak-expect: none
#include <gleak/gleak.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct Request {
  std::string host;
  gleak::Chan<std::string> reply{1};
};

int g_req_fd = -1;  // write end of the resolver's request pipe

void start_resolver() {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  g_req_fd = fds[1];
  std::thread([rfd = fds[0]] {
    for (;;) {
      std::this_thread::sleep_for(3s);  // the library's poll interval
      Request* r;
      while (read(rfd, &r, sizeof r) == sizeof r) {
        r->reply.send("192.0.2." + std::to_string(r->host.size()));
        delete r;
      }
    }
  }).detach();
}

std::string lookup(const std::string& host) {
  auto* r = new Request{host};
  gleak::Chan<std::string> reply = r->reply;
  if (write(g_req_fd, &r, sizeof r) != sizeof r) return "";
  return reply.recv().value_or("");
}

}  // namespace

int main() {
  return gleak::run([] {
    start_resolver();
    auto resolved = std::make_shared<long>(0);
    for (const char* h : {"db.internal", "queue.internal"})
      gleak::go([h, resolved] { *resolved += static_cast<long>(lookup(h).size()); });
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("resolved %ld\n", *resolved);
    }
  });
}
