// fork_join — start a few goroutines and wait for all of them (Go's sync.WaitGroup).
//
// The Go original:
//
//   func worker(id int) {
//       fmt.Printf("worker %d starting\n", id)
//       time.Sleep(100 * time.Millisecond)
//       fmt.Printf("worker %d done\n", id)
//   }
//
//   func main() {
//       var wg sync.WaitGroup
//       for i := 1; i <= 3; i++ {
//           wg.Add(1)
//           go func(id int) {
//               defer wg.Done()
//               worker(id)
//           }(i)
//       }
//       wg.Wait()
//       fmt.Println("all workers finished")
//   }
//
// Prints (the worker lines may come in any order; the last line is always last):
//
//   worker 1 starting
//   worker 2 starting
//   worker 3 starting
//   worker 3 done
//   worker 1 done
//   worker 2 done
//   all workers finished
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

// worker stands for a piece of work that takes a while. gleak::sleep parks only this
// goroutine: the worker thread under it goes on running the other goroutines.
void worker(int id) {
  std::printf("worker %d starting\n", id);
  gleak::sleep(100ms);
  std::printf("worker %d done\n", id);
}

int main() {
  // gleak::run runs the lambda as goroutine 1, Go's main goroutine, and returns when
  // it returns.
  return gleak::run([] {
    // A WaitGroup is not copyable: the goroutines share this one by reference, as Go
    // code shares a WaitGroup by pointer. It outlives them because wg.wait() below
    // does not return before every one of them has called done().
    gleak::WaitGroup wg;

    for (int i = 1; i <= 3; ++i) {
      // add() before go(), never inside the goroutine: otherwise wait() could run
      // before the goroutine has started and see a counter of zero.
      wg.add(1);
      // Like Go's `go f(i)`, gleak::go copies its arguments when it is called, so each
      // goroutine gets its own id.
      gleak::go(
          [&wg](int id) {
            worker(id);
            wg.done();  // Go: defer wg.Done()
          },
          i);
    }

    // Block goroutine 1 until the counter is back to zero.
    wg.wait();
    std::printf("all workers finished\n");
  });
}
