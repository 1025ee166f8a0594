// Port of controller-runtime's multiNamespaceCache.Start (kubernetes-sigs/controller-runtime
// #3565): it starts every namespace's cache in a goroutine that sends a failure on an
// unbuffered errs channel, then returns the first error received (or nil on ctx.Done()).
// When several caches fail, all but the first block for ever on `errs <- err`; the manager
// gives up on the cache and cancels its context, which ends the healthy informers.
// gleak-expect: leaked 2 MultiNamespaceCache chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct NamespaceCache {
  std::string ns;
  bool forbidden = false;

  // start runs the informers until ctx ends; it fails at once when RBAC forbids the list.
  std::string start(gleak::Context ctx) const {
    gleak::sleep(5ms);  // the initial LIST
    if (forbidden) return "namespace \"" + ns + "\": pods is forbidden";
    ctx.done().recv();
    return "";
  }
};

struct MultiNamespaceCache {
  std::vector<NamespaceCache> caches;

  std::string start(gleak::Context ctx) const {
    gleak::Chan<std::string> errs(0);  // BUG: unbuffered, received from once
    for (const NamespaceCache& cache : caches) {
      gleak::go([errs, cache, ctx] {
        std::string err = cache.start(ctx);
        if (!err.empty()) errs.send(err);
      });
    }
    std::string first;
    gleak::select(gleak::recv_case(errs, [&](std::optional<std::string> e) { first = e.value_or(""); }),
                  gleak::recv_case(ctx.done(), [](std::optional<gleak::Unit>) {}));
    return first;
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::string err;
    {
      auto [ctx, cancel] = gleak::with_cancel(gleak::background());
      MultiNamespaceCache cache{{{"default", false}, {"kube-system", true}, {"monitoring", true}, {"ingress", true}}};
      err = cache.start(ctx);
      cancel();
    }
    std::printf("cache failed to start: %s; falling back to direct reads\n", err.c_str());
    std::printf("ready\n");
    std::fflush(stdout);
    // The manager keeps reconciling with direct API reads.
    long generation = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      generation += tick % 4;
      if (tick % 1000 == 999) std::printf("generation %ld\n", generation);
    }
  });
}
