// A pipeline stage leaks when downstream stops reading.
// generate_ids → square_stage → sink. The sink takes two squares and returns without
// telling the stages (no done channel, no context). square_stage blocks sending its
// third square, and generate_ids blocks sending its fourth id to the stage that no longer
// receives. Only the two stages hold the two channels.
// gleak-expect: leaked 1 generate_ids chan send
// gleak-expect: leaked 1 square_stage chan send
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

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

void generate_ids(gleak::Chan<int> out, gleak::WaitGroup* reached) {
  for (int i = 1;; ++i) {
    if (i == 4) reached->done();  // test handshake: the stage holds id 3, this send never completes
    out.send(i);
  }
}

void square_stage(gleak::Chan<int> in, gleak::Chan<int> out, gleak::WaitGroup* reached) {
  int n = 0;
  for (int v : in) {
    if (++n == 3) reached->done();  // test handshake: the sink took two, this send never completes
    out.send(v * v);
  }
  out.close();
}

[[gnu::noinline]] void print_first_squares(int n, gleak::WaitGroup* reached) {
  gleak::Chan<int> ids(0), squares(0);
  gleak::go(generate_ids, ids, reached);
  gleak::go(square_stage, ids, squares, reached);
  for (int i = 0; i < n; ++i) std::printf("square %d\n", *squares.recv());
  // BUG: stops reading; the stages are never told to stop
}

}  // namespace

int main() {
  sigset_t s = stop_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(2);
    print_first_squares(2, &reached);
    reached.wait();
    announce_ready();
    await_stop_signal();
    return 0;
  });
}
