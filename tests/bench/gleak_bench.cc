// gleak_bench: gleak's side of the anchor benchmarks (docs: shared/BENCHMARKS.md).
//
//   gleak_bench [--procs=P] spawn    N TRIALS   spawn N goroutines (atomic add + wg.done), wg.wait;
//                                               ns per goroutine, from the first spawn until wait returns
//   gleak_bench [--procs=P] pingpong ITERS TRIALS  unbuffered Chan<int> ping-pong between 2 goroutines;
//                                               ns per round trip
//   gleak_bench [--procs=P] yield    ITERS TRIALS  2 goroutines call gleak::yield() ITERS times each,
//                                               released together by closing a gate channel;
//                                               ns per switch = elapsed / (2 * ITERS)
//   gleak_bench [--procs=P] park     N          park N goroutines on one shared Chan<Unit>, read VmRSS,
//                                               close the channel, join them all;
//                                               rss_bytes_per_goroutine = (RSS parked - RSS before) / N
//   gleak_bench [--procs=P] leaks-target N      the target of the leaks benchmark: N goroutines leaked,
//                                               each receiving from a channel only it has (10 stacks)
//   gleak_bench [--procs=P] dump-target N       the target of the dump benchmark: park N goroutines on
//                                               one Chan<Unit> in 10 distinct stacks (stage<0..9>), print
//                                               `READY <pid>`, wait until stdin closes, release and join
//                                               them; run_bench.py times `gleak dump` of it from outside
//
// P (worker threads) is --procs=P, else env GLEAK_PROCS, else 1. Each mode prints one line per
// trial, `RESULT <mode> system=gleak procs=P key=value ...`, and checks that the work really
// happened: a wrong count prints `FAIL: ...` and exits 1.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include <unistd.h>

#include "gleak/gleak.h"

// gleak_bench_norec is this program linked with a runtime built with GLEAK_NO_RECORDING (the
// probe's goroutine records and events compiled out), to show what the recording costs.
#ifndef GLEAK_BENCH_SYSTEM
#define GLEAK_BENCH_SYSTEM "gleak"
#endif
#define kSystem GLEAK_BENCH_SYSTEM

namespace {

using clk = std::chrono::steady_clock;

[[noreturn]] void die(const char* what, long got, long want) {
  std::fprintf(stderr, "FAIL: %s: got %ld, want %ld\n", what, got, want);
  std::fflush(stderr);
  std::_Exit(1);
}

double ns_since(clk::time_point t0) { return std::chrono::duration<double, std::nano>(clk::now() - t0).count(); }

// status_kib() reads a "Name:   123 kB" field of /proc/self/status.
long status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  std::size_t n = std::strlen(field);
  while (std::getline(f, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
  return -1;
}

int g_procs = 1;

void spawn_bench(long n, int trials) {
  for (int t = 0; t < trials; ++t) {
    std::atomic<long> cnt{0};
    gleak::WaitGroup wg;
    // max_backlog: the most goroutines alive at once (sampled every 4096 spawns). When it is
    // large, the descriptors of queued goroutines are cold in cache by the time they run.
    int64_t max_backlog = 0;
    auto t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      wg.add(1);
      gleak::go([&cnt, &wg] {
        cnt.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
      if ((i & 4095) == 4095) max_backlog = std::max(max_backlog, gleak::num_goroutine());
    }
    wg.wait();
    double ns = ns_since(t0);
    if (cnt.load() != n) die("spawn: goroutines that ran", cnt.load(), n);
    std::printf(
        "RESULT spawn system=" kSystem " procs=%d n=%ld trial=%d ns_per_goroutine=%.1f total_ms=%.2f max_backlog=%lld\n",
        g_procs, n, t, ns / double(n), ns / 1e6, static_cast<long long>(max_backlog));
    std::fflush(stdout);
  }
}

void pingpong_bench(long iters, int trials) {
  for (int t = 0; t < trials; ++t) {
    gleak::Chan<int> ping(0), pong(0);
    gleak::WaitGroup wg;
    wg.add(1);
    gleak::go([ping, pong, &wg] {
      for (int v : ping) pong.send(v + 1);
      pong.close();
      wg.done();
    });
    long sum = 0;
    auto t0 = clk::now();
    for (long i = 0; i < iters; ++i) {
      int want = static_cast<int>(i) + 1;
      ping.send(static_cast<int>(i));
      std::optional<int> v = pong.recv();
      if (!v || *v != want) die("pingpong: reply", v ? *v : -1, want);
      ++sum;
    }
    double ns = ns_since(t0);
    ping.close();
    if (pong.recv().has_value()) die("pingpong: pong not closed", 1, 0);
    wg.wait();
    if (sum != iters) die("pingpong: round trips", sum, iters);
    std::printf("RESULT pingpong system=" kSystem " procs=%d iters=%ld trial=%d ns_per_roundtrip=%.1f roundtrips_per_s=%.0f\n",
                g_procs, iters, t, ns / double(iters), 1e9 * double(iters) / ns);
    std::fflush(stdout);
  }
}

void yield_bench(long iters, int trials) {
  for (int t = 0; t < trials; ++t) {
    gleak::Chan<gleak::Unit> gate(0);
    gleak::WaitGroup wg;
    std::atomic<long> calls{0};
    std::atomic<int> at_gate{0};
    for (int j = 0; j < 2; ++j) {
      wg.add(1);
      gleak::go([gate, &wg, &calls, &at_gate, iters] {
        at_gate.fetch_add(1);
        if (gate.recv().has_value()) die("yield: gate delivered a value", 1, 0);
        for (long i = 0; i < iters; ++i) gleak::yield();
        calls.fetch_add(iters);
        wg.done();
      });
    }
    // Both goroutines park on the gate before the clock starts (like the anchors' 5 ms
    // sleep, but without relying on the sleep being long enough).
    while (at_gate.load() < 2) gleak::sleep(std::chrono::milliseconds(1));
    gleak::sleep(std::chrono::milliseconds(5));
    auto t0 = clk::now();
    gate.close();
    wg.wait();
    double ns = ns_since(t0);
    if (calls.load() != 2 * iters) die("yield: calls", calls.load(), 2 * iters);
    std::printf("RESULT yield system=" kSystem " procs=%d iters=%ld trial=%d ns_per_switch=%.2f\n", g_procs, iters, t,
                ns / (2.0 * double(iters)));
    std::fflush(stdout);
  }
}

void park_bench(long n) {
  // Let the runtime settle (workers started, main goroutine running) before the baseline.
  gleak::sleep(std::chrono::milliseconds(20));
  long base_kib = status_kib("VmRSS");
  gleak::Chan<gleak::Unit> shared(0);
  gleak::WaitGroup wg;
  std::atomic<long> parked{0}, finished{0};
  auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    wg.add(1);
    gleak::go([shared, &wg, &parked, &finished] {
      parked.fetch_add(1, std::memory_order_relaxed);
      if (shared.recv().has_value()) die("park: the channel delivered a value", 1, 0);
      finished.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
  }
  while (parked.load() < n) gleak::sleep(std::chrono::milliseconds(1));
  // A goroutine runs from its increment to its park without a switch (no preemption),
  // but on another worker the last ones may still be on their way: give them time.
  gleak::sleep(std::chrono::milliseconds(20));
  double setup_ms = ns_since(t0) / 1e6;
  long rss_kib = status_kib("VmRSS");
  long hwm_kib = status_kib("VmHWM");
  long goroutines = static_cast<long>(gleak::num_goroutine());
  if (goroutines < n + 1) die("park: num_goroutine", goroutines, n + 1);
  auto t1 = clk::now();
  shared.close();
  wg.wait();
  double release_ms = ns_since(t1) / 1e6;
  if (finished.load() != n) die("park: finished", finished.load(), n);
  double per = n > 0 ? double(rss_kib - base_kib) * 1024.0 / double(n) : 0.0;
  std::printf(
      "RESULT park system=" kSystem " procs=%d n=%ld trial=0 rss_bytes_per_goroutine=%.0f vmrss_kib_base=%ld "
      "vmrss_kib_parked=%ld vmhwm_kib=%ld setup_ms=%.1f release_ms=%.1f\n",
      g_procs, n, per, base_kib, rss_kib, hwm_kib, setup_ms, release_ms);
  std::fflush(stdout);
}

// Ten distinct stacks for the dump benchmark: each stage<K> is its own function.
template <int K>
[[gnu::noinline]] void stage(gleak::Chan<gleak::Unit> c, gleak::WaitGroup* parked, gleak::WaitGroup* done) {
  parked->done();
  if (c.recv().has_value()) die("dump-target: the channel delivered a value", 1, 0);
  done->done();
  asm volatile("" ::: "memory");  // keep the call above a call, not a tail call
}

void dump_target(long n) {
  using Stage = void (*)(gleak::Chan<gleak::Unit>, gleak::WaitGroup*, gleak::WaitGroup*);
  static constexpr Stage kStages[10] = {stage<0>, stage<1>, stage<2>, stage<3>, stage<4>,
                                        stage<5>, stage<6>, stage<7>, stage<8>, stage<9>};
  gleak::Chan<gleak::Unit> c(0);
  gleak::WaitGroup parked, done;
  parked.add(static_cast<int>(n));
  done.add(static_cast<int>(n));
  for (long i = 0; i < n; ++i) gleak::go(kStages[i % 10], c, &parked, &done);
  parked.wait();
  // The last goroutines may be between done() and their park on another worker.
  gleak::sleep(std::chrono::milliseconds(50));
  std::printf("READY %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  gleak::blocking([] {
    char buf[256];
    while (::read(0, buf, sizeof buf) > 0) {
    }
  });
  c.close();
  done.wait();
}

// Ten distinct stacks for the leaks benchmark: each receives from a channel only it has.
template <int K>
[[gnu::noinline]] void leak(gleak::WaitGroup* parked) {
  gleak::Chan<gleak::Unit> c(0);
  parked->done();
  if (c.recv().has_value()) die("leaks-target: the channel delivered a value", 1, 0);
  asm volatile("" ::: "memory");
}

// leaks_target() leaks n goroutines and waits (on stdin) while `gleak leaks` analyses it.
void leaks_target(long n) {
  using Leak = void (*)(gleak::WaitGroup*);
  static constexpr Leak kLeaks[10] = {leak<0>, leak<1>, leak<2>, leak<3>, leak<4>,
                                      leak<5>, leak<6>, leak<7>, leak<8>, leak<9>};
  gleak::WaitGroup parked;
  parked.add(static_cast<int>(n));
  for (long i = 0; i < n; ++i) gleak::go(kLeaks[i % 10], &parked);
  parked.wait();
  gleak::sleep(std::chrono::milliseconds(50));  // the last ones between done() and the park
  std::printf("READY %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);
  gleak::blocking([] {
    char buf[256];
    while (::read(0, buf, sizeof buf) > 0) {
    }
  });
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: gleak_bench [--procs=P] spawn N TRIALS | pingpong ITERS TRIALS | yield ITERS TRIALS | park N\n"
               "       gleak_bench [--procs=P] dump-target N | leaks-target N\n"
               "       P defaults to env GLEAK_PROCS, else 1\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* env = std::getenv("GLEAK_PROCS")) g_procs = std::atoi(env);
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
    if (std::strncmp(argv[i], "--procs=", 8) == 0) {
      g_procs = std::atoi(argv[i] + 8);
    } else {
      usage();
    }
  }
  if (g_procs < 1) usage();
  if (argc - i < 2) usage();
  std::string mode = argv[i];
  long n = std::atol(argv[i + 1]);
  int trials = argc - i >= 3 ? std::atoi(argv[i + 2]) : 1;
  if (n < 1 || trials < 1) usage();
  // An int-returning lambda matches both run() overloads (std::function<void()> accepts
  // it too), so name the std::function type.
  return gleak::run(
      std::function<int()>([&]() -> int {
        if (mode == "spawn") {
          spawn_bench(n, trials);
        } else if (mode == "pingpong") {
          pingpong_bench(n, trials);
        } else if (mode == "yield") {
          yield_bench(n, trials);
        } else if (mode == "park") {
          park_bench(n);
        } else if (mode == "dump-target") {
          dump_target(n);
        } else if (mode == "leaks-target") {
          leaks_target(n);
        } else {
          usage();
        }
        return 0;
      }),
      gleak::Config{.procs = g_procs});
}
