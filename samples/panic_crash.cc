// panic_crash — a panic that no goroutine recovers kills the whole program.
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
//   func main() {
//       finished := make(chan struct{})
//       go func() {
//           for item := 1; item <= 5; item++ {
//               fmt.Printf("processed item %d -> %d\n", item, process(item))
//           }
//           close(finished)
//       }()
//       <-finished
//       fmt.Println("main: all items processed") // never printed
//   }
//
// Prints on stdout:
//
//   processed item 1 -> 10
//   processed item 2 -> 20
//
// then on stderr the runtime's report, and the process exits with status 2:
//
//   panic: cannot process item 3
//
//   goroutine 2 [running]:
//   process(int)
//           .../samples/panic_crash.cc:NN +0x..
//   main::{lambda()#1}::operator()() const::{lambda()#1}::operator()() const
//           .../samples/panic_crash.cc:NN +0x..
//   created by main::{lambda()#1}::operator()() const in goroutine 1
//           .../samples/panic_crash.cc:NN +0x..
//
// The panic happens in goroutine 2, not in main, and still nothing survives it: as in
// Go, a panic is either recovered on the goroutine that raised it (see safe_work) or it
// ends the process. Goroutine 1 never gets to print its last line.
#include <gleak/gleak.h>

#include <cstdio>
#include <string>

// process stands for work that fails on some input. gleak::panic is Go's panic(v).
int process(int item) {
  if (item == 3) gleak::panic("cannot process item " + std::to_string(item));
  return item * 10;
}

int main() {
  // The crash ends the process on the spot (_exit: no exit handlers, no stdio flush),
  // so make stdout line-buffered, as Go's unbuffered fmt output effectively is, to see
  // the lines printed before the crash even when stdout is a pipe or a file.
  std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);

  return gleak::run([] {
    gleak::Chan<gleak::Unit> finished(0);

    gleak::go([finished] {
      for (int item = 1; item <= 5; ++item) {
        std::printf("processed item %d -> %d\n", item, process(item));
      }
      finished.close();  // never reached: item 3 panics first
    });

    // Wait for the worker. Without this, goroutine 1 could return and end the program
    // before the worker even reached item 3; with it, the crash always comes first.
    finished.recv();
    std::printf("main: all items processed\n");  // never printed
  });
}
