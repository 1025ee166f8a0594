// Port of trickster's parallel origin fetch (trickstercache/trickster#356): a request fans
// out one goroutine per time range with wg.Add(1) each, and a goroutine that hits an error
// returns before its wg.Done() ("use defer instead" was the fix). The request's goroutine
// then waits in wg.Wait() for ever; the WaitGroup lives in its own frame.
// gleak-expect: leaked 1 handle_query sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Extent {
  long start = 0, end = 0;
};

struct Query {
  std::string statement;
  std::vector<Extent> missing;  // the ranges the cache does not have
};

// fetch_range stands for the HTTP request to the origin for one extent.
std::string fetch_range(const Extent& e, long* points) {
  gleak::sleep(5ms);
  if (e.end - e.start > 3600) return "origin: 400 Bad Request: exceeded maximum resolution";
  *points += (e.end - e.start) / 15;
  return "";
}

void handle_query(std::shared_ptr<Query> q, gleak::Chan<long> responses) {
  gleak::WaitGroup wg;
  gleak::Mutex mu;
  long points = 0;
  std::vector<std::string> errors;
  for (const Extent& e : q->missing) {
    wg.add(1);
    gleak::go([&, e] {
      long n = 0;
      std::string err = fetch_range(e, &n);
      std::lock_guard<gleak::Mutex> g(mu);
      if (!err.empty()) {
        errors.push_back(err);
        return;  // BUG: skips wg.done()
      }
      points += n;
      wg.done();
    });
  }
  wg.wait();
  responses.send(points);
}

}  // namespace

int main() {
  return gleak::run([] {
    gleak::Chan<long> responses(64);
    {
      auto q = std::make_shared<Query>();
      q->statement = "rate(http_requests_total[5m])";
      q->missing = {{0, 600}, {600, 1200}, {1200, 9000}};
      gleak::go(handle_query, q, responses);  // the HTTP server's handler goroutine
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The proxy keeps answering from its cache; responses of finished queries are logged.
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      gleak::select(gleak::recv_case(responses, [&](std::optional<long> n) { served += n.value_or(0); }),
                    gleak::default_case([&] { served += tick % 2; }));
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
