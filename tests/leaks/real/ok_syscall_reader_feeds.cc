// Look-alike of an abandoned receiver: the line parser waits on `lines`, which main
// dropped; the only other holder is the reader goroutine, now inside a blocking read
// (gleak::blocking, state syscall) that returns after 30 s and sends the line.
// gleak-expect: none
#include <gleak/gleak.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

int main() {
  return gleak::run([] {
    auto parsed = std::make_shared<long>(0);
    {
      gleak::Chan<std::string> lines(0);
      gleak::go([lines] {
        for (;;) {
          std::string line = gleak::blocking([] {
            sleep(30);  // read(2) on a quiet pipe
            return std::string("GET /healthz 200");
          });
          lines.send(std::move(line));
        }
      });
      gleak::go([lines, parsed] {
        for (std::string& l : lines) *parsed += static_cast<long>(l.size());
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("parsed %ld\n", *parsed);
    }
  });
}
