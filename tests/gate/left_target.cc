// A program that ends with a goroutine still blocked on a channel that a global
// handle keeps reachable: alive at exit, but not provably leaked (someone could still
// send). `gleak run` passes it; `gleak run --strict` does not.
#include <gleak/gleak.h>

#include <cstdio>

gleak::Chan<int> requests(0);

// A template, so that the name the reports print has angle brackets to escape.
template <class T>
void serve(gleak::Chan<T> in, gleak::Chan<gleak::Unit> serving) {
  serving.send(gleak::Unit{});
  for (T r : in) std::printf("request %d\n", r);
}

int main() {
  return gleak::run([] {
    gleak::Chan<gleak::Unit> serving(1);
    gleak::go(serve<int>, requests, serving);
    serving.recv();
    std::printf("main: done\n");
  });
}
