// busy — goroutines that keep moving, for `gleak trace` and `gleak top` to watch:
//
//   pinger / ponger   hand a token back and forth over two channels   [chan receive]
//   worker(int)       short-lived goroutines, started in rounds, that wait on a
//                     WaitGroup-joined fan-in channel and exit           [chan send]
//   recoverer         panics and recovers once per round
//   stuck(int)        kStuck goroutines parked for good on a channel no one sends to
//
// It prints "busy: pid N ready" after the first round, then runs until killed. With
// the argument `flood`, pinger and ponger hand the token over without pausing: tens of
// thousands of events a second per worker, enough to overflow the event rings between
// two reads of a follower.
#include <gleak/gleak.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

constexpr int kStuck = 4;
constexpr int kWorkersPerRound = 3;

[[gnu::noinline]] void pinger(gleak::Chan<int> ping, gleak::Chan<int> pong) {
  for (int i = 0;; ++i) {
    ping.send(i);
    pong.recv();
  }
}

bool flood = false;

[[gnu::noinline]] void ponger(gleak::Chan<int> ping, gleak::Chan<int> pong) {
  for (;;) {
    auto v = ping.recv();
    pong.send(*v);
    if (!flood) gleak::sleep(std::chrono::milliseconds(2));
  }
}

[[gnu::noinline]] void worker(int id, gleak::Chan<int> results, gleak::WaitGroup* wg) {
  results.send(id * id);
  wg->done();
}

[[gnu::noinline]] void recoverer() {
  gleak::recover([] { gleak::panic("round over"); });
}

[[gnu::noinline]] void stuck(int, gleak::Chan<int> never) { never.recv(); }

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  flood = argc > 1 && std::string(argv[1]) == "flood";
  return gleak::run([] {
    gleak::Chan<int> never(0);
    for (int i = 0; i < kStuck; ++i) gleak::go(stuck, i, never);
    gleak::Chan<int> ping(0), pong(0);
    gleak::go(pinger, ping, pong);
    gleak::go(ponger, ping, pong);
    for (long round = 0;; ++round) {
      gleak::Chan<int> results(0);
      gleak::WaitGroup wg;
      wg.add(kWorkersPerRound);
      for (int i = 0; i < kWorkersPerRound; ++i) gleak::go(worker, i, results, &wg);
      for (int i = 0; i < kWorkersPerRound; ++i) results.recv();
      wg.wait();
      gleak::go(recoverer);
      if (round == 0) std::printf("busy: pid %d ready\n", static_cast<int>(getpid()));
      gleak::sleep(std::chrono::milliseconds(5));
    }
  });
}
