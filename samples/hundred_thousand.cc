// hundred_thousand — goroutines are cheap: start 100,000 of them.
//
// The Go original:
//
//   func main() {
//       const n = 100_000
//       var wg sync.WaitGroup
//       var counter atomic.Int64
//       for i := 0; i < n; i++ {
//           wg.Add(1)
//           go func() {
//               defer wg.Done()
//               counter.Add(1)
//           }()
//       }
//       wg.Wait()
//       if counter.Load() != n {
//           fmt.Fprintf(os.Stderr, "counter is %d, want %d\n", counter.Load(), n)
//           os.Exit(1)
//       }
//       fmt.Printf("spawned and joined %d goroutines\n", n)
//   }
//
// Prints:
//
//   spawned and joined 100000 goroutines
//
// A goroutine is a fiber with a lazily committed stack, not a thread: 100,000 of them
// are spread over a handful of worker threads (one per CPU by default).
#include <gleak/gleak.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>

int main() {
  // Goroutine 1 returns an int here: the exit status of the program. (The explicit
  // std::function<int()> picks the int-returning overload of gleak::run.)
  return gleak::run(std::function<int()>([] {
    constexpr int64_t n = 100'000;

    gleak::WaitGroup wg;
    // Plain `counter++` from many goroutines would be a data race: the goroutines run
    // in parallel on several worker threads. An atomic is Go's atomic.Int64.
    std::atomic<int64_t> counter{0};

    for (int64_t i = 0; i < n; ++i) {
      wg.add(1);
      gleak::go([&wg, &counter] {
        counter.fetch_add(1, std::memory_order_relaxed);
        wg.done();
      });
    }

    // wait() returning means every goroutine has called done(), and everything each
    // of them did before done() is visible here, as in Go.
    wg.wait();

    if (counter.load() != n) {
      std::fprintf(stderr, "counter is %lld, want %lld\n", static_cast<long long>(counter.load()),
                   static_cast<long long>(n));
      return 1;
    }
    std::printf("spawned and joined %lld goroutines\n", static_cast<long long>(n));
    return 0;
  }));
}
