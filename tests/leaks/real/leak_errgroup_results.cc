// errgroup pipeline whose consumer stops early: fetchers send digests with
// `select { case results <- d: case <-ctx.Done(): }`, a goroutine closes results after
// g.Wait(), and the consumer returns at the first mismatching digest (a stale manifest)
// without cancelling or draining. No fetcher failed, so ctx is never cancelled: the
// others wait in select and the closer in Wait for ever.
// gleak-expect: leaked 3 * select
// gleak-expect: leaked 1 * sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Digest {
  std::string path;
  std::size_t sum = 0;
};

}  // namespace

int main() {
  return gleak::run([] {
    std::string verdict = "ok";
    {
      std::vector<std::string> paths = {"/srv/www/index.html", "/srv/www/app.js", "/srv/www/app.css",
                                        "/srv/www/logo.svg"};
      auto [g, ctx] = gleak::ErrGroup::with_context(gleak::background());
      gleak::Chan<Digest> results(0);
      for (const std::string& p : paths) {
        g.go([p, results, ctx = ctx]() -> gleak::Error {
          gleak::sleep(2ms);  // read the file
          Digest d{p, std::hash<std::string>{}(p)};
          gleak::select(gleak::send_case(results, d, [] {}),
                        gleak::recv_case(ctx.done(), [](std::optional<gleak::Unit>) {}));
          return ctx.err();
        });
      }
      gleak::go([g = g, results]() mutable {
        g.wait();
        results.close();
      });
      std::map<std::string, std::size_t> manifest;  // digests of the previous release
      for (const std::string& p : paths) manifest[p] = std::hash<std::string>{}(p + "@v1");
      for (const Digest& d : results) {
        if (d.sum != manifest[d.path]) {
          verdict = "digest mismatch: " + d.path;
          break;  // BUG: neither cancels the group nor drains results
        }
      }
    }
    std::printf("verify: %s\n", verdict.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The static file server keeps serving.
    long served = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      served += static_cast<long>(verdict.size()) + tick % 2;
      if (tick % 1000 == 999) std::printf("served %ld\n", served);
    }
  });
}
