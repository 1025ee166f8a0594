// grpc660 — early return leaves a sender blocked on an unbuffered channel.
// A benchmark client starts a goroutine that reports "stream finished" on an unbuffered
// `done` channel, then fails to dial and returns early, before it ever receives from
// `done`. The reporter blocks on the send forever: it is the only holder of the channel.
// gleak-expect: leaked 1 report_stream_done chan send
#include <gleak/gleak.h>

#include <cstdio>

#include "harness.h"

namespace {

void report_stream_done(gleak::Chan<gleak::Unit> done, gleak::WaitGroup* reached) {
  // ... the stream ran to completion ...
  reached->done();  // test handshake: the next line never returns
  done.send(gleak::Unit{});
}

// Returns with an error before receiving from `done`; its locals (the only other handle
// on `done`) die with it.
[[gnu::noinline]] bool run_benchmark_client(bool dial_ok, gleak::WaitGroup* reached) {
  gleak::Chan<gleak::Unit> done(0);
  gleak::go(report_stream_done, done, reached);
  if (!dial_ok) return false;  // BUG: early return, nobody will receive from `done`
  done.recv();
  return true;
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    run_benchmark_client(false, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
