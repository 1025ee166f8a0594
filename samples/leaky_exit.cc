// leaky_exit — main returns while a goroutine it started is blocked forever.
//
// The Go original:
//
//   func lookup(name string) int { return len(name) * 7 }
//
//   func main() {
//       answer := make(chan int) // unbuffered
//       go func() {
//           answer <- lookup("gopher") // blocks until someone receives
//       }()
//       if !valid("gopher") {
//           fmt.Println("main: invalid request, giving up")
//           return // nobody will ever receive the answer
//       }
//       fmt.Println(<-answer)
//   }
//
// Prints:
//
//   main: invalid request, giving up
//
// and exits with status 0: nothing in the program's own behaviour shows the bug. The
// goroutine's send on the unbuffered channel needs a receiver, the only one gave up,
// and nobody else holds the channel: it can never finish. In a server that handles a
// request this way, every invalid request leaves one such goroutine behind.
//
// `gleak run -- build/samples/leaky_exit` catches it when the program ends: the
// goroutine is left in `chan send`, the leak analysis proves that nothing that can
// still run refers to its channel, and the gate fails with exit status 10. Giving the
// channel a buffer of one (`gleak::Chan<int> answer(1)`) fixes it: the send completes
// whether or not anyone receives.
#include <gleak/gleak.h>

#include <cstdio>
#include <string>

int lookup(const std::string& name) { return static_cast<int>(name.size()) * 7; }

bool valid(const std::string& name) { return name.size() > 10; }

int main() {
  return gleak::run([] {
    gleak::Chan<int> answer(0);
    gleak::go([answer] { answer.send(lookup("gopher")); });
    if (!valid("gopher")) {
      std::printf("main: invalid request, giving up\n");
      return;
    }
    std::printf("%d\n", *answer.recv());
  });
}
