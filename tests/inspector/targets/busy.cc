// busy — goroutines that keep moving, for `gleak trace` and `gleak top` to watch:
//
//   pinger / ponger   hand a token back and forth over two channels   [chan receive]
//   worker(int)       short-lived goroutines, started in rounds, that wait on a
//                     WaitGroup-joined fan-in channel and exit           [chan send]
//   recoverer         panics and recovers once per round
//   stuck(int)        4 goroutines (or as many as a numeric argument says) parked for
//                     good on a channel no one sends to
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

int stuck_count = 4;
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
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "flood") flood = true;
    if (!a.empty() && a.find_first_not_of("0123456789") == std::string::npos) stuck_count = std::stoi(a);
  }
  return gleak::run([] {
    gleak::Chan<int> never(0);
    for (int i = 0; i < stuck_count; ++i) gleak::go(stuck, i, never);
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
