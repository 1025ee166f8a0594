// A program that never calls gleak::run: main() starts a goroutine from its own thread
// and returns while the goroutine waits for a value nobody will send. It is checked at
// exit all the same.
#include <gleak/gleak.h>

#include <cstdio>

int main() {
  gleak::Chan<int> reply(0);
  gleak::Chan<gleak::Unit> waiting(1);
  gleak::go([reply, waiting] {
    waiting.send(gleak::Unit{});
    std::printf("got %d\n", *reply.recv());
  });
  waiting.recv();
  std::printf("main: returning without replying\n");
  return 0;
}
