// safe_work — the work of panic_crash, with the panic recovered inside the goroutine.
//
// The Go original:
//
//   func process(item int) int {
//       if item == 3 {
//           panic(fmt.Sprintf("cannot process item %d", item))
//       }
//       return item * 10
//   }
//
//   // safeGo runs f in a goroutine that cannot crash the program: a panic in f is
//   // recovered, reported and counted.
//   func safeGo(wg *sync.WaitGroup, errs *atomic.Int64, f func()) {
//       wg.Add(1)
//       go func() {
//           defer wg.Done()
//           defer func() {
//               if r := recover(); r != nil {
//                   fmt.Println("recovered:", r)
//                   errs.Add(1)
//               }
//           }()
//           f()
//       }()
//   }
//
//   func main() {
//       var wg sync.WaitGroup
//       var errs atomic.Int64
//       for item := 1; item <= 5; item++ {
//           item := item
//           safeGo(&wg, &errs, func() {
//               fmt.Printf("processed item %d -> %d\n", item, process(item))
//           })
//       }
//       wg.Wait()
//       fmt.Printf("program survived; recovered errors: %d\n", errs.Load())
//   }
//
// Prints (the first five lines in any order):
//
//   processed item 1 -> 10
//   processed item 2 -> 20
//   recovered: cannot process item 3
//   processed item 4 -> 40
//   processed item 5 -> 50
//   program survived; recovered errors: 1
#include <gleak/gleak.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

// process is the same failing work as in panic_crash.
int process(int item) {
  if (item == 3) gleak::panic("cannot process item " + std::to_string(item));
  return item * 10;
}

// safe_go runs f in a goroutine that cannot crash the program. gleak::recover(fn) is
// Go's `defer func() { if r := recover(); r != nil { ... } }()` around fn: it runs fn
// and returns the panic that fn raised, or std::nullopt if fn returned normally.
// A panic can only be recovered on the goroutine that raised it, so the recover must be
// inside the goroutine, around the work — a recover in main would not see it.
template <class F>
void safe_go(gleak::WaitGroup& wg, std::atomic<int64_t>& errs, F f) {
  wg.add(1);
  gleak::go([&wg, &errs, f = std::move(f)] {
    if (auto p = gleak::recover(f)) {
      std::printf("recovered: %s\n", p->message.c_str());
      errs.fetch_add(1);
    }
    // Reached whether or not f panicked: the panic stopped at recover().
    wg.done();  // Go: defer wg.Done()
  });
}

int main() {
  return gleak::run([] {
    gleak::WaitGroup wg;
    std::atomic<int64_t> errs{0};

    for (int item = 1; item <= 5; ++item) {
      // The closure captures item by value: each goroutine processes its own item.
      safe_go(wg, errs, [item] { std::printf("processed item %d -> %d\n", item, process(item)); });
    }

    wg.wait();
    std::printf("program survived; recovered errors: %lld\n", static_cast<long long>(errs.load()));
  });
}
