// Look-alike of a leak: a goroutine waits on a channel that a plain std::thread holds.
// await_config() ranges over config updates. The only other holder of the channel is a
// plain (non-goroutine) thread that waits for a shutdown future, then sends a last
// update and closes the channel. Main holds only the thread and the promise.
// gleak-expect: none
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <future>
#include <string>
#include <thread>

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
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    std::promise<void> stop;
    gleak::WaitGroup started, all;
    started.add(1);
    all.add(1);
    std::thread watcher = start_watcher(stop.get_future().share(), &started, &all);
    started.wait();
    announce_ready();
    await_stop_signal();
    stop.set_value();
    gleak::blocking([&] { watcher.join(); });
    all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
