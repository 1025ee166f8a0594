// cockroach1462 — a stopper waits on a WaitGroup whose workers are themselves leaked.
// Workers of a Stopper (std::shared_ptr, shared by all) publish events on an unbuffered
// channel and then call Done. The event reader handled one event and returned; the other
// two workers block on `events <- e`, and stop_all() waits forever in WaitGroup.Wait
// for their Done.
// gleak-expect: leaked 2 emit_events chan send
// gleak-expect: leaked 1 stop_all sync.WaitGroup.Wait
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Stopper {
  gleak::WaitGroup running;
  gleak::Chan<int> events{0};
};

void emit_events(std::shared_ptr<Stopper> s, int id, gleak::WaitGroup* reached) {
  reached->done();    // test handshake: two of the three sends never complete
  s->events.send(id);
  s->running.done();
}

void read_one_event(std::shared_ptr<Stopper> s, gleak::WaitGroup* finished) {
  std::printf("event from worker %d\n", *s->events.recv());
  finished->done();  // BUG: the reader quits while workers still publish
}

void stop_all(std::shared_ptr<Stopper> s, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  s->running.wait();
  std::printf("stopped\n");
}

[[gnu::noinline]] void start_stopper(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  auto s = std::make_shared<Stopper>();
  s->running.add(3);
  for (int i = 0; i < 3; ++i) gleak::go(emit_events, s, i, reached);
  gleak::go(read_one_event, s, finished);
  gleak::go(stop_all, s, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    finished.add(1);
    reached.add(4);
    start_stopper(&finished, &reached);
    finished.wait();
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
