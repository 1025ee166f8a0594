// Look-alike of a leak: a goroutine waits on a channel that a plain std::thread holds.
// await_config() ranges over config updates. The only other holder of the channel is a
// plain (non-goroutine) thread that waits for a shutdown future, then sends a last
// update and closes the channel. Main holds only the thread and the promise.
// gleak-expect: none
#include <gleak/gleak.h>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "harness.h"

namespace {

void await_config(gleak::Chan<std::string> updates, gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  for (std::string& u : updates) std::printf("config update: %s\n", u.c_str());
  all->done();
}

[[gnu::noinline]] std::thread start_watcher(std::shared_future<void> stop, gleak::WaitGroup* started,
                                            gleak::WaitGroup* all) {
  gleak::Chan<std::string> updates(0);
  gleak::go(await_config, updates, started, all);
  return std::thread([updates, stop] {
    stop.wait();  // a plain thread, blocked outside gleak
    updates.send("final");
    updates.close();
  });
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    std::promise<void> stop;
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    std::thread watcher = start_watcher(stop.get_future().share(), &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    stop.set_value();
    gleak::blocking([&] { watcher.join(); });
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
