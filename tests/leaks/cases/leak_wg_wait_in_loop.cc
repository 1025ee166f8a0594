// moby25384 — Add(len(plugins)), but Wait sits inside the loop that starts the goroutines.
// restore_plugins() adds the number of plugins to its WaitGroup, then for each plugin
// starts a goroutine that calls Done and waits right away. The first Wait needs every
// Done, but only one goroutine exists by then: the counter never reaches zero.
// gleak-expect: leaked 1 restore_plugins sync.WaitGroup.Wait
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

// ---- harness: print "ready", then wait for SIGTERM/SIGINT (see README.md) -----------
sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}
void announce_ready() {
  std::printf("ready\n");
  std::fflush(stdout);
}
// Goroutine 1 waits in a blocking system call (state `syscall`), not on any gleak object.
void await_stop_signal() {
  gleak::blocking([] {
    sigset_t s = stop_signals();
    int sig = 0;
    sigwait(&s, &sig);
  });
}

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(restore_plugins, std::vector<std::string>{"volume", "network"}, &reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
