// Fan-in where the first answer wins: each replica's reply channel is forwarded into one
// merged channel by a goroutine, and a closer goroutine closes the merged channel after
// the forwarders' WaitGroup. The caller takes the first reply and returns: the other
// forwarders block sending into the merged channel and the closer waits for them for ever.
// The WaitGroup is shared by pointer (shared_ptr), as a Go closure shares `var wg`.
// gleak-expect: leaked 2 merge chan send
// gleak-expect: leaked 1 merge sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

template <class T>
gleak::Chan<T> merge(const std::vector<gleak::Chan<T>>& inputs) {
  gleak::Chan<T> out(0);
  auto wg = std::make_shared<gleak::WaitGroup>();
  wg->add(static_cast<int64_t>(inputs.size()));
  for (const auto& in : inputs) {
    gleak::go([in, out, wg] {
      for (T& v : in) out.send(std::move(v));
      wg->done();
    });
  }
  gleak::go([out, wg] {
    wg->wait();
    out.close();
  });
  return out;
}

gleak::Chan<std::string> query_replica(std::string replica, gleak::Duration latency) {
  gleak::Chan<std::string> c(1);
  gleak::go([c, replica, latency] {
    gleak::sleep(latency);
    c.send(replica + ": 200 OK");
    c.close();
  });
  return c;
}

}  // namespace

int main() {
  return gleak::run([] {
    std::string first;
    {
      std::vector<gleak::Chan<std::string>> replies = {query_replica("search-1", 5ms), query_replica("search-2", 30ms),
                                                       query_replica("search-3", 45ms)};
      gleak::Chan<std::string> merged = merge(replies);
      first = merged.recv().value_or("no reply");  // BUG: the rest are never drained
    }
    std::printf("first reply: %s\n", first.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The frontend goes on rendering.
    long rendered = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      rendered += static_cast<long>(first.size()) + tick % 3;
      if (tick % 1000 == 999) std::printf("rendered %ld\n", rendered);
    }
  });
}
