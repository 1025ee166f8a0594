// A program that reads its own goroutines with the installed inspector library, as a
// tool built on gleak::inspector would. The reading symbolizes with libdw, which needs
// a thread's stack, not a goroutine's: it runs in gleak::blocking().
#include <gleak/gleak.h>

#include <cstdio>

#include "inspector/read/reader.h"

int main() {
  return gleak::run([] {
    gleak::Chan<int> never;
    gleak::go([never] { never.recv(); });
    std::size_t n = 0;
    gleak::blocking([&n] { n = gleak::inspector::read_self().goroutines.size(); });
    std::printf("consumer_inspect: %zu goroutines\n", n);
    return n >= 2 ? 0 : 1;
  });
}
