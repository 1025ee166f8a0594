// Look-alike of a leak, heap-shared: pool workers block in select on a quit channel and
// a jobs channel that live in a Pool (std::shared_ptr). Main holds the Pool and closes
// `quit` on SIGTERM, so the blocked selects are completable.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "harness.h"

namespace {

struct Pool {
  gleak::Chan<gleak::Unit> quit{0};
  gleak::Chan<int> jobs{0};
  gleak::WaitGroup workers;
};

void pool_worker(std::shared_ptr<Pool> p, int id, gleak::WaitGroup* started) {
  started->done();
  for (bool stop = false; !stop;) {
    gleak::select(gleak::recv_case(p->jobs, [&](std::optional<int> j) { std::printf("worker %d job %d\n", id, *j); }),
                  gleak::recv_case(p->quit, [&](std::optional<gleak::Unit>) { stop = true; }));
  }
  p->workers.done();
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    auto pool = std::make_shared<Pool>();
    gleak::WaitGroup started;
    started.add(3);
    pool->workers.add(3);
    for (int i = 0; i < 3; ++i) gleak::go(pool_worker, pool, i, &started);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    pool->quit.close();
    pool->workers.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
