// Look-alike of the all-nil select: watch_events() selects on two nil (disabled) event
// channels — and on `quit`, which main holds and closes on SIGTERM. One live case is
// enough for the select to be completable.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <optional>

#include "harness.h"

namespace {

void watch_events(gleak::Chan<int> file_events, gleak::Chan<int> net_events, gleak::Chan<gleak::Unit> quit,
                  gleak::WaitGroup* started, gleak::WaitGroup* all) {
  started->done();
  gleak::select(gleak::recv_case(file_events, [](std::optional<int>) { std::printf("file event\n"); }),
                gleak::recv_case(net_events, [](std::optional<int>) { std::printf("net event\n"); }),
                gleak::recv_case(quit, [](std::optional<gleak::Unit>) { std::printf("quit\n"); }));
  all->done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::Chan<gleak::Unit> quit(0);
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    gleak::go(watch_events, gleak::Chan<int>(), gleak::Chan<int>(), quit, &started, &all);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    quit.close();
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
