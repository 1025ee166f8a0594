// Look-alike of a leak: a worker pool whose workers wait in `for job := range jobs`
// most of the time. main keeps the jobs and results channels in its loop, feeds a job
// every tick and collects the results, so the waiting workers can always be woken.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Job {
  long id = 0;
  std::string payload;
};

struct Result {
  long id = 0;
  std::size_t size = 0;
};

void worker(int n, gleak::Chan<Job> jobs, gleak::Chan<Result> results) {
  for (const Job& j : jobs) results.send(Result{j.id, j.payload.size() + static_cast<std::size_t>(n)});
}

}  // namespace

int main() {
  return gleak::run([] {
    gleak::Chan<Job> jobs(0);
    gleak::Chan<Result> results(8);
    for (int n = 0; n < 4; ++n) gleak::go(worker, n, jobs, results);
    std::printf("ready\n");
    std::fflush(stdout);
    std::size_t total = 0;
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      jobs.send(Job{tick, "thumbnail " + std::to_string(tick)});
      while (gleak::select(gleak::recv_case(results, [&](std::optional<Result> r) { total += r ? r->size : 0; }),
                           gleak::default_case([] {})) == 0) {
      }
      if (tick == 1000000) jobs.close();  // shutdown
      if (tick % 1000 == 999) std::printf("total %zu\n", total);
    }
  });
}
