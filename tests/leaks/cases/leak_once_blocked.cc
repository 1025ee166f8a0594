// A Once whose function blocks forever; a second caller waits inside Once.
// init_service() and handle_request() both call ensure_loaded(), which runs
// fetch_remote_config() once; the fetch waits for a reply nobody sends. One caller is
// stuck in the fetch, the other in the Once's internal mutex (`sync.Mutex.Lock`). The
// Config (std::shared_ptr) is shared by the two callers only.
// gleak-expect: leaked 1 fetch_remote_config chan receive
// gleak-expect: leaked 1 ensure_loaded sync.Mutex.Lock
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <string>

#include "harness.h"

namespace {

struct Config {
  gleak::Once once;
  gleak::Chan<std::string> remote{0};  // BUG: nobody ever sends on it
  std::string value;
};

[[gnu::noinline]] void fetch_remote_config(Config* c) { c->value = c->remote.recv().value_or(""); }

[[gnu::noinline]] void ensure_loaded(Config* c) {
  c->once.call([c] { fetch_remote_config(c); });
}

void init_service(std::shared_ptr<Config> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: ensure_loaded never returns
  ensure_loaded(c.get());
  std::printf("service up: %s\n", c->value.c_str());
}

void handle_request(std::shared_ptr<Config> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: ensure_loaded never returns
  ensure_loaded(c.get());
  std::printf("request with %s\n", c->value.c_str());
}

[[gnu::noinline]] void start_service(gleak::WaitGroup* reached) {
  auto c = std::make_shared<Config>();
  gleak::go(init_service, c, reached);
  gleak::go(handle_request, c, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    start_service(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
