// An upload's completion goroutine sends the final status on an unbuffered channel that
// only the request's on_close std::function captures (it would receive and log it). A
// client disconnect destroys the heap-allocated request without running on_close: the
// std::function and its copy of the channel are freed, and the sender waits for ever.
// gleak-expect: leaked 1 finish_upload chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Status {
  std::string path;
  int code = 0;
};

struct Request {
  std::string path;
  long bytes = 0;
  std::function<void()> on_close;
};

void finish_upload(std::string path, long bytes, gleak::Chan<Status> status) {
  int code = bytes > 0 ? 201 : 400;  // fsync and rename done
  status.send(Status{std::move(path), code});
}

gleak::Chan<Status> start_upload(const Request& r) {
  gleak::Chan<Status> status(0);
  gleak::go(finish_upload, r.path, r.bytes, status);
  return status;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto log = std::make_shared<std::vector<std::string>>();
    {
      auto req = std::make_unique<Request>();
      req->path = "/uploads/report.pdf";
      req->bytes = 48213;
      req->on_close = [status = start_upload(*req), log] {
        if (auto s = status.recv()) log->push_back(s->path + " " + std::to_string(s->code));
      };
      bool client_gone = true;  // the client reset the connection
      if (!client_gone) req->on_close();
      req.reset();  // BUG: on_close never runs, so nobody takes the status
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("log %zu\n", log->size());
    }
  });
}
