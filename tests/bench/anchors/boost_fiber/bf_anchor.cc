// bf_anchor: the Boost.Fiber anchor of gleak's benchmarks (same modes and RESULT lines as
// gleak_bench and the Go anchor).
//
//   bf_anchor [--threads=T] spawn    N TRIALS      spawn N fibers (fixedsize_stack 16 KiB) that do an
//                                                  atomic add and wg.done(); wg.wait(); ns per fiber
//   bf_anchor [--threads=T] pingpong ITERS TRIALS  unbuffered_channel<int> ping-pong; ns per round trip
//   bf_anchor [--threads=T] yield    ITERS TRIALS  2 fibers call this_fiber::yield() ITERS times each;
//                                                  ns per switch = elapsed / (2 * ITERS)
//   bf_anchor [--threads=T] park     N             park N fibers (16 KiB stacks) on one shared
//                                                  unbuffered_channel; (RSS parked - RSS before) / N
//
// T = 1: algo::round_robin on the main thread (Boost's default). T = 2: algo::work_stealing on
// the main thread plus one worker thread, with suspend=true (idle threads sleep; with spinning
// idle threads ping-pong is ~10x slower and hangs now and then, see research/perf_anchors.md).
// work_stealing on one thread livelocks in Boost 1.74, so T=1 is always round_robin.
// T defaults to env GLEAK_PROCS, else 1, so one variable drives all three systems.
//
// Run it with GLIBC_TUNABLES=glibc.malloc.trim_threshold=1125899906842624:glibc.malloc.mmap_threshold=33554432:
// otherwise glibc trims the heap after each batch of fibers and spawn measures page faults.
#include <boost/fiber/all.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace bf = boost::fibers;
using clk = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const char* what, long got, long want) {
  std::fprintf(stderr, "FAIL: %s: got %ld, want %ld\n", what, got, want);
  std::fflush(stderr);
  std::_Exit(1);
}

double ns_since(clk::time_point t0) { return std::chrono::duration<double, std::nano>(clk::now() - t0).count(); }

long status_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  std::size_t n = std::strlen(field);
  while (std::getline(f, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':') return std::atol(line.c_str() + n + 1);
  return -1;
}

int g_threads = 1;

// WaitGroup in Go's style on Boost.Fiber primitives: the last done() wakes the waiters.
class WaitGroup {
 public:
  void add(long k) { n_.fetch_add(k, std::memory_order_relaxed); }
  void done() {
    // Only the last done() takes the fiber mutex and notifies.
    if (n_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::unique_lock<bf::mutex> lk(m_);
      zero_ = true;
      cv_.notify_all();
    }
  }
  void wait() {
    if (n_.load(std::memory_order_acquire) == 0) return;
    std::unique_lock<bf::mutex> lk(m_);
    cv_.wait(lk, [&] { return zero_; });
  }

 private:
  std::atomic<long> n_{0};
  bool zero_ = false;
  bf::mutex m_;
  bf::condition_variable cv_;
};

template <class Fn>
void go16(Fn&& fn) {
  bf::fiber(std::allocator_arg, bf::fixedsize_stack(16 * 1024), std::forward<Fn>(fn)).detach();
}

// with_threads() runs body() on the main thread's main fiber under the chosen scheduler.
template <class Body>
void with_threads(Body body) {
  if (g_threads == 1) {
    body();
    return;
  }
  const bool suspend = true;
  bf::mutex m;
  bf::condition_variable cv;
  bool done = false;
  std::atomic<int> ready{0};
  std::vector<std::thread> workers;
  for (int i = 1; i < g_threads; ++i) {
    workers.emplace_back([&] {
      bf::use_scheduling_algorithm<bf::algo::work_stealing>(g_threads, suspend);
      ready.fetch_add(1);
      std::unique_lock<bf::mutex> lk(m);
      cv.wait(lk, [&] { return done; });  // keeps this thread's dispatcher running (and stealing)
    });
  }
  // work_stealing's constructor waits at a barrier for all g_threads schedulers.
  bf::use_scheduling_algorithm<bf::algo::work_stealing>(g_threads, suspend);
  body();
  {
    std::unique_lock<bf::mutex> lk(m);
    done = true;
  }
  cv.notify_all();
  for (auto& w : workers) w.join();
}

void spawn_bench(long n, int trials) {
  for (int t = 0; t < trials; ++t) {
    std::atomic<long> cnt{0};
    WaitGroup wg;
    auto t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      wg.add(1);
      go16([&cnt, &wg] {
        cnt.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }
    wg.wait();
    double ns = ns_since(t0);
    if (cnt.load() != n) die("spawn: fibers that ran", cnt.load(), n);
    std::printf("RESULT spawn system=bf procs=%d n=%ld trial=%d ns_per_goroutine=%.1f total_ms=%.2f\n", g_threads, n,
                t, ns / double(n), ns / 1e6);
    std::fflush(stdout);
  }
}

void pingpong_bench(long iters, int trials) {
  for (int t = 0; t < trials; ++t) {
    bf::unbuffered_channel<int> ping, pong;
    WaitGroup wg;
    wg.add(1);
    go16([&] {
      int v;
      while (ping.pop(v) == bf::channel_op_status::success) pong.push(v + 1);
      pong.close();
      wg.done();
    });
    long sum = 0;
    auto t0 = clk::now();
    for (long i = 0; i < iters; ++i) {
      int want = static_cast<int>(i) + 1, v = -1;
      ping.push(static_cast<int>(i));
      if (pong.pop(v) != bf::channel_op_status::success || v != want) die("pingpong: reply", v, want);
      ++sum;
    }
    double ns = ns_since(t0);
    ping.close();
    int v;
    if (pong.pop(v) != bf::channel_op_status::closed) die("pingpong: pong not closed", 1, 0);
    wg.wait();
    if (sum != iters) die("pingpong: round trips", sum, iters);
    std::printf("RESULT pingpong system=bf procs=%d iters=%ld trial=%d ns_per_roundtrip=%.1f roundtrips_per_s=%.0f\n",
                g_threads, iters, t, ns / double(iters), 1e9 * double(iters) / ns);
    std::fflush(stdout);
  }
}

void yield_bench(long iters, int trials) {
  for (int t = 0; t < trials; ++t) {
    bf::unbuffered_channel<int> gate;
    WaitGroup wg;
    std::atomic<long> calls{0};
    std::atomic<int> at_gate{0};
    for (int j = 0; j < 2; ++j) {
      wg.add(1);
      go16([&] {
        at_gate.fetch_add(1);
        int v;
        if (gate.pop(v) != bf::channel_op_status::closed) die("yield: gate delivered a value", 1, 0);
        for (long i = 0; i < iters; ++i) boost::this_fiber::yield();
        calls.fetch_add(iters);
        wg.done();
      });
    }
    while (at_gate.load() < 2) boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
    boost::this_fiber::sleep_for(std::chrono::milliseconds(5));
    auto t0 = clk::now();
    gate.close();
    wg.wait();
    double ns = ns_since(t0);
    if (calls.load() != 2 * iters) die("yield: calls", calls.load(), 2 * iters);
    std::printf("RESULT yield system=bf procs=%d iters=%ld trial=%d ns_per_switch=%.2f\n", g_threads, iters, t,
                ns / (2.0 * double(iters)));
    std::fflush(stdout);
  }
}

void park_bench(long n) {
  boost::this_fiber::sleep_for(std::chrono::milliseconds(20));
  long base_kib = status_kib("VmRSS");
  bf::unbuffered_channel<int> shared;
  WaitGroup wg;
  std::atomic<long> parked{0}, finished{0};
  auto t0 = clk::now();
  for (long i = 0; i < n; ++i) {
    wg.add(1);
    go16([&] {
      parked.fetch_add(1, std::memory_order_relaxed);
      int v;
      if (shared.pop(v) != bf::channel_op_status::closed) die("park: the channel delivered a value", 1, 0);
      finished.fetch_add(1, std::memory_order_relaxed);
      wg.done();
    });
  }
  while (parked.load() < n) boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
  boost::this_fiber::sleep_for(std::chrono::milliseconds(20));
  double setup_ms = ns_since(t0) / 1e6;
  long rss_kib = status_kib("VmRSS");
  long hwm_kib = status_kib("VmHWM");
  auto t1 = clk::now();
  shared.close();
  wg.wait();
  double release_ms = ns_since(t1) / 1e6;
  if (finished.load() != n) die("park: finished", finished.load(), n);
  double per = double(rss_kib - base_kib) * 1024.0 / double(n);
  std::printf(
      "RESULT park system=bf procs=%d n=%ld trial=0 rss_bytes_per_goroutine=%.0f vmrss_kib_base=%ld "
      "vmrss_kib_parked=%ld vmhwm_kib=%ld setup_ms=%.1f release_ms=%.1f\n",
      g_threads, n, per, base_kib, rss_kib, hwm_kib, setup_ms, release_ms);
  std::fflush(stdout);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bf_anchor [--threads=1|2] spawn N TRIALS | pingpong ITERS TRIALS | yield ITERS TRIALS | park N\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* env = std::getenv("GLEAK_PROCS")) g_threads = std::atoi(env);
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0 || std::strncmp(argv[i], "--procs=", 8) == 0) {
      g_threads = std::atoi(std::strchr(argv[i], '=') + 1);
    } else {
      usage();
    }
  }
  if (g_threads < 1 || argc - i < 2) usage();
  std::string mode = argv[i];
  long n = std::atol(argv[i + 1]);
  int trials = argc - i >= 3 ? std::atoi(argv[i + 2]) : 1;
  if (n < 1 || trials < 1) usage();
  with_threads([&] {
    if (mode == "spawn") {
      spawn_bench(n, trials);
    } else if (mode == "pingpong") {
      pingpong_bench(n, trials);
    } else if (mode == "yield") {
      yield_bench(n, trials);
    } else if (mode == "park") {
      park_bench(n);
    } else {
      usage();
    }
  });
  return 0;
}
