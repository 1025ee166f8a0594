// moby25384 — Add(len(plugins)), but Wait sits inside the loop that starts the goroutines.
// restore_plugins() adds the number of plugins to its WaitGroup, then for each plugin
// starts a goroutine that calls Done and waits right away. The first Wait needs every
// Done, but only one goroutine exists by then: the counter never reaches zero.
// gleak-expect: leaked 1 restore_plugins sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness.h"

namespace {

void enable_plugin(std::string name, gleak::WaitGroup* group) {
  std::printf("enabled %s\n", name.c_str());
  group->done();
}

void restore_plugins(std::vector<std::string> plugins, gleak::WaitGroup* reached) {
  gleak::WaitGroup group;
  group.add(static_cast<int64_t>(plugins.size()));
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    gleak::go(enable_plugin, plugins[i], &group);
    if (i == 0) reached->done();  // test handshake: the first wait never returns
    group.wait();                 // BUG: belongs after the loop
  }
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(restore_plugins, std::vector<std::string>{"volume", "network"}, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
