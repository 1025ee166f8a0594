// gleak_microbench: Google Benchmark microbenchmarks of single gleak operations. The whole
// benchmark run happens inside one goroutine (gleak::run), with a 1 MiB goroutine stack
// for Google Benchmark's own frames. Workers: env GLEAK_PROCS (default 1 here).
//
//   build-bench/tests/bench/gleak_microbench [--benchmark_filter=REGEX]
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>

#include "gleak/gleak.h"

namespace {

// Buffered send followed by receive on the same goroutine: the lock-and-copy fast path.
void BM_ChanBufferedSendRecv(benchmark::State& state) {
  gleak::Chan<int> ch(1);
  int i = 0;
  for (auto _ : state) {
    ch.send(i++);
    benchmark::DoNotOptimize(ch.recv());
  }
}
BENCHMARK(BM_ChanBufferedSendRecv);

// Unbuffered ping-pong: two parks and two wake-ups per round trip.
void BM_ChanPingPong(benchmark::State& state) {
  gleak::Chan<int> ping(0), pong(0);
  gleak::WaitGroup wg;
  wg.add(1);
  gleak::go([ping, pong, &wg] {
    for (int v : ping) pong.send(v);
    wg.done();
  });
  int i = 0;
  for (auto _ : state) {
    ping.send(i++);
    benchmark::DoNotOptimize(pong.recv());
  }
  ping.close();
  wg.wait();
}
BENCHMARK(BM_ChanPingPong);

// select over two ready buffered channels (random choice, lock both).
void BM_SelectTwoReady(benchmark::State& state) {
  gleak::Chan<int> a(1), b(1);
  long got = 0;
  for (auto _ : state) {
    a.send(1);
    b.send(2);
    gleak::select(gleak::recv_case(a, [&](std::optional<int> v) { got += *v; }),
                  gleak::recv_case(b, [&](std::optional<int> v) { got += *v; }));
    gleak::select(gleak::recv_case(a, [&](std::optional<int> v) { got += *v; }),
                  gleak::recv_case(b, [&](std::optional<int> v) { got += *v; }));
  }
  benchmark::DoNotOptimize(got);
}
BENCHMARK(BM_SelectTwoReady);

// Uncontended Mutex lock + unlock.
void BM_MutexUncontended(benchmark::State& state) {
  gleak::Mutex mu;
  for (auto _ : state) {
    mu.lock();
    mu.unlock();
  }
}
BENCHMARK(BM_MutexUncontended);

// yield() with nothing else runnable: the scheduler's look for other work.
void BM_YieldAlone(benchmark::State& state) {
  for (auto _ : state) gleak::yield();
}
BENCHMARK(BM_YieldAlone);

// Spawn one goroutine and wait for it: create, first switch, exit, wake.
void BM_SpawnJoinOne(benchmark::State& state) {
  std::atomic<long> n{0};
  for (auto _ : state) {
    gleak::WaitGroup wg;
    wg.add(1);
    gleak::go([&n, &wg] {
      n.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
    wg.wait();
  }
  benchmark::DoNotOptimize(n.load());
}
BENCHMARK(BM_SpawnJoinOne);

}  // namespace

int main(int argc, char** argv) {
  setenv("GLEAK_STACK_KB", "1024", 0);
  setenv("GLEAK_PROCS", "1", 0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  return gleak::run([] {
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  });
}
