// A leak next to a live goroutine: being alive is not enough, it must hold the handle.
// refresh_cache_loop() runs forever in a timer loop (alive, parked in `sleep`) and holds
// its own Cache. publish_event() blocks sending on an unbuffered channel whose receiver
// gave up; the live loop never had that channel, so nothing alive can complete the send.
// gleak-expect: leaked 1 publish_event chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Cache {
  gleak::Mutex mu;
  int generation = 0;
};

void refresh_cache_loop(std::shared_ptr<Cache> c, gleak::WaitGroup* started) {
  started->done();
  for (;;) {
    gleak::sleep(std::chrono::milliseconds(20));
    c->mu.lock();
    ++c->generation;
    c->mu.unlock();
  }
}

void publish_event(gleak::Chan<int> events, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  events.send(1);   // BUG: the subscriber unsubscribed without draining
}

[[gnu::noinline]] void start_services(gleak::WaitGroup* started, gleak::WaitGroup* reached) {
  gleak::go(refresh_cache_loop, std::make_shared<Cache>(), started);
  gleak::Chan<int> events(0);
  gleak::go(publish_event, events, reached);
  // the subscriber returns here without receiving
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup started, reached;
    started.add(1);
    reached.add(1);
    start_services(&started, &reached);
    started.wait();
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
