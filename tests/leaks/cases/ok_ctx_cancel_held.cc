// Look-alike of cockroach13197 with heap state: connection handlers wait on ctx.done() of
// a Server (std::shared_ptr) that also holds the CancelFunc. Main holds the Server and
// cancels on SIGTERM, so the handlers are waiting on something a live goroutine will do.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Server {
  gleak::Context ctx;
  gleak::CancelFunc cancel;
  gleak::WaitGroup handlers;
};

void serve_conn(std::shared_ptr<Server> srv, int id, gleak::WaitGroup* started) {
  started->done();
  srv->ctx.done().recv();
  std::printf("conn %d: %s\n", id, srv->ctx.err().message().c_str());
  srv->handlers.done();
}

std::shared_ptr<Server> make_server() {
  auto srv = std::make_shared<Server>();
  gleak::WithCancel w = gleak::with_cancel(gleak::background());
  srv->ctx = w.ctx;
  srv->cancel = w.cancel;
  return srv;
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::shared_ptr<Server> srv = make_server();  // main holds the Server, and through it the cancel
    gleak::WaitGroup started;
    started.add(3);
    srv->handlers.add(3);
    for (int i = 0; i < 3; ++i) gleak::go(serve_conn, srv, i, &started);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    srv->cancel();
    srv->handlers.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
