// A program that dies of a global deadlock: its main goroutine and a worker each wait
// for the other, then the crash record the runtime's deadlock check writes is written
// through the runtime's own crash path (core/internal/crash.h), with the same message.
#include <gleak/gleak.h>

#include <cstdint>

#include "core/internal/crash.h"
#include "core/internal/sched.h"

int main() {
  return gleak::run([] {
    gleak::Chan<int> ping(0);
    gleak::Chan<int> pong(0);
    gleak::Chan<gleak::Unit> parked(1);
    gleak::go([ping, pong, parked] {
      parked.send(gleak::Unit{});
      pong.send(*ping.recv());
    });
    parked.recv();
    gleak::internal::Death d;
    d.header = "fatal error: all goroutines are asleep - deadlock!";
    uintptr_t pcs[64];
    int n = gleak::internal::capture_stack(pcs, 64);
    gleak::internal::die(d, pcs, n, gleak::internal::current_g());
  });
}
