// Look-alike of a forgotten WaitGroup.Done: the backup request waits on a WaitGroup
// in its own frame; the two upload workers it started hold pointers into that frame
// and are sleeping through a slow transfer (8 s) before they call Done.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

void run_backup(std::shared_ptr<long> uploaded) {
  gleak::WaitGroup wg;
  gleak::Mutex mu;
  long bytes = 0;
  for (const char* part : {"part-0001", "part-0002"}) {
    wg.add(1);
    gleak::go([&wg, &mu, &bytes, part] {
      gleak::sleep(8s);  // PUT the part over a slow link
      std::lock_guard<gleak::Mutex> g(mu);
      bytes += static_cast<long>(std::string(part).size());
      wg.done();
    });
  }
  wg.wait();
  *uploaded += bytes;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto uploaded = std::make_shared<long>(0);
    gleak::go(run_backup, uploaded);
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("uploaded %ld\n", *uploaded);
    }
  });
}
