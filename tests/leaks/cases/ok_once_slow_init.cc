// Look-alike of the blocked-Once leak, heap-shared: the Once's function waits for a
// remote reply and a second caller waits for the Once's internal mutex, exactly as in
// leak_once_blocked. But main holds the Config (std::shared_ptr) and sends the reply on
// SIGTERM, so both callers complete.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "harness.h"

namespace {

struct Config {
  gleak::Once once;
  gleak::Chan<std::string> remote{0};
  std::string value;
};

[[gnu::noinline]] void fetch_remote_config(Config* c) { c->value = c->remote.recv().value_or(""); }

[[gnu::noinline]] void ensure_loaded(Config* c) {
  c->once.call([c] { fetch_remote_config(c); });
}

void init_service(std::shared_ptr<Config> c, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  ensure_loaded(c.get());
  std::printf("service up: %s\n", c->value.c_str());
  all->done();
}

void handle_request(std::shared_ptr<Config> c, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  ensure_loaded(c.get());
  std::printf("request with %s\n", c->value.c_str());
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    auto cfg = std::make_shared<Config>();
    gleak::WaitGroup reached, all;
    reached.add(2);
    all.add(2);
    gleak::go(init_service, cfg, &reached, &all);
    gleak::go(handle_request, cfg, &reached, &all);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    cfg->remote.send("v2");
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
