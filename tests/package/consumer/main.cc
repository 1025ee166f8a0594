// A program that leaks one goroutine and finds it with gleak::find_leaks().
#include <gleak/gleak.h>

#include <cstdio>

int main() {
  return gleak::run([] {
    {
      gleak::Chan<int> results(0);
      gleak::go([results] { results.send(42); });  // nobody will ever receive
    }
    gleak::LeakReport r = gleak::find_leaks();
    std::size_t proven = 0;
    for (const auto& f : r.findings) proven += f.certainty == gleak::LeakCertainty::kProven;
    std::printf("consumer: %zu goroutine(s) proven leaked\n", proven);
    return proven == 1 ? 0 : 1;
  });
}
