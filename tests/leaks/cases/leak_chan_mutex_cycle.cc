// kubernetes6632 — one goroutine holds a mutex while sending; the receiver needs the mutex.
// write_frame() holds the connection's write lock and sends on the unbuffered reset
// channel; monitor_conn() must take the write lock before it receives from reset. Each
// waits for the other: a cycle through a channel and a mutex, invisible to lock-only
// detectors. The Conn (std::shared_ptr) is shared by the two goroutines only.
// gleak-expect: leaked 1 write_frame chan send
// gleak-expect: leaked 1 monitor_conn sync.Mutex.Lock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Conn {
  gleak::Mutex write_mu;
  gleak::Chan<gleak::Unit> reset{0};
  int frames = 0;
};

void write_frame(std::shared_ptr<Conn> c, gleak::WaitGroup* locked, gleak::WaitGroup* reached) {
  c->write_mu.lock();
  ++c->frames;
  locked->done();
  reached->done();             // test handshake: the next line never returns
  c->reset.send(gleak::Unit{});  // BUG: sends while holding write_mu
  c->write_mu.unlock();
}

void monitor_conn(std::shared_ptr<Conn> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  c->write_mu.lock();
  c->reset.recv();
  std::printf("reset after %d frames\n", c->frames);
  c->write_mu.unlock();
}

[[gnu::noinline]] void start_conn(gleak::WaitGroup* locked, gleak::WaitGroup* reached) {
  auto c = std::make_shared<Conn>();
  locked->add(1);
  gleak::go(write_frame, c, locked, reached);
  locked->wait();  // the writer holds write_mu
  gleak::go(monitor_conn, c, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup locked, reached;
    reached.add(2);
    start_conn(&locked, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
