// pass_args — give each goroutine its own copy of the loop value.
//
// The Go original:
//
//   func main() {
//       names := []string{"charlie", "alpha", "bravo"}
//       var (
//           wg  sync.WaitGroup
//           mu  sync.Mutex
//           got []string
//       )
//       for i := 0; i < len(names); i++ {
//           wg.Add(1)
//           go func(name string) { // the value is passed, not captured
//               defer wg.Done()
//               mu.Lock()
//               got = append(got, name)
//               mu.Unlock()
//           }(names[i])
//       }
//       wg.Wait()
//       sort.Strings(got)
//       fmt.Println(got)
//   }
//
// Prints:
//
//   [alpha bravo charlie]
//
// The lesson. A goroutine runs later, not while the loop is at the iteration that
// started it. A closure that captures the loop variable by reference reads it when it
// runs, by which time the loop has moved on:
//
//   for (std::size_t i = 0; i < names.size(); ++i)
//     gleak::go([&] { record(names[i]); });   // WRONG: reads i whenever it runs —
//                                             // often names[3], past the end, and i
//                                             // itself is gone once the loop ends
//
// (Go before 1.22 had the same bug with `go func() { use(names[i]) }()`.) Pass the value
// as an argument instead: gleak::go, like Go's `go f(x)`, copies its arguments at the
// call, so each goroutine owns the value it was started with.
#include <gleak/gleak.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

// print_slice prints a slice of strings the way Go's fmt.Println does: [a b c].
void print_slice(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ' ';
    out += v[i];
  }
  out += "]";
  std::printf("%s\n", out.c_str());
}

int main() {
  return gleak::run([] {
    const std::vector<std::string> names = {"charlie", "alpha", "bravo"};

    gleak::WaitGroup wg;
    gleak::Mutex mu;               // guards got
    std::vector<std::string> got;  // what the goroutines recorded

    for (std::size_t i = 0; i < names.size(); ++i) {
      wg.add(1);
      // names[i] is copied into the new goroutine now, while i still means this
      // iteration. The shared state (wg, mu, got) is captured by reference on purpose:
      // it outlives the goroutines because of wg.wait() below.
      gleak::go(
          [&wg, &mu, &got](std::string name) {
            {
              // gleak::Mutex is a std Lockable, so the std lock guards work with it.
              std::lock_guard<gleak::Mutex> lock(mu);
              got.push_back(std::move(name));
            }
            wg.done();
          },
          names[i]);
    }

    wg.wait();
    // The goroutines ran in no particular order: sort before printing, as the Go
    // program does with sort.Strings.
    std::sort(got.begin(), got.end());
    print_slice(got);
  });
}
