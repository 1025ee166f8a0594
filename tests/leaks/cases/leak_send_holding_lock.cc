// moby28462 — a sender holds the container lock; the receiver took `default` and waits
// for that lock. health_probe_loop() polls `stop_probe` with a default case, then locks
// the container (std::shared_ptr, shared by both) to record the probe, while
// update_health_monitor() holds that lock and sends on `stop_probe`: each waits for the
// other, a channel+mutex cycle.
// gleak-expect: leaked 1 update_health_monitor chan send
// gleak-expect: leaked 1 health_probe_loop sync.Mutex.Lock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "harness.h"

namespace {

struct Container {
  gleak::Mutex mu;
  gleak::Chan<gleak::Unit> stop_probe{0};
  int probes = 0;
};

struct Steps {
  gleak::WaitGroup* probing;
  gleak::WaitGroup* locked;
  gleak::WaitGroup* reached;
};

void health_probe_loop(std::shared_ptr<Container> c, Steps st) {
  for (int round = 0;; ++round) {
    bool stop = false;
    gleak::select(gleak::recv_case(c->stop_probe, [&](std::optional<gleak::Unit>) { stop = true; }),
                  gleak::default_case([] {}));
    if (stop) return;
    if (round == 0) {  // test interleaving: the daemon takes the lock right after our select
      st.probing->done();
      st.locked->wait();
      st.reached->done();
    }
    c->mu.lock();
    ++c->probes;
    c->mu.unlock();
  }
}

void update_health_monitor(std::shared_ptr<Container> c, Steps st) {
  c->mu.lock();
  st.locked->done();
  st.reached->done();              // test handshake: the next line never returns
  c->stop_probe.send(gleak::Unit{});  // BUG: sends while holding the container lock
  c->mu.unlock();
}

[[gnu::noinline]] void start_container(Steps st) {
  auto c = std::make_shared<Container>();
  gleak::go(health_probe_loop, c, st);
  st.probing->wait();  // the probe loop took `default` on its first round
  gleak::go(update_health_monitor, c, st);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup probing, locked, reached;
    probing.add(1);
    locked.add(1);
    reached.add(2);
    start_container(Steps{&probing, &locked, &reached});
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
