// Port of grule-rule-engine's ExecuteWithContext (hyperjumptech/grule-rule-engine#123): it
// starts a goroutine that waits for the context's cancellation, and Execute calls it with
// context.Background(). Background's Done() is nil, so every Execute leaves one goroutine
// receiving from a nil channel for ever.
// gleak-expect: leaked 3 GruleEngine chan receive (nil chan)
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Fact {
  std::string name;
  int amount = 0;
  bool flagged = false;
};

struct GruleEngine {
  int max_cycle = 100;

  std::string execute_with_context(gleak::Context ctx, std::vector<Fact>& facts) {
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    gleak::go([ctx, cancelled] {
      ctx.done().recv();  // BUG: never returns for a context that is never cancelled
      cancelled->store(true);
    });
    for (int cycle = 0; cycle < max_cycle; ++cycle) {
      if (cancelled->load()) return "context canceled";
      bool fired = false;
      for (Fact& f : facts) {
        if (!f.flagged && f.amount > 1000) {
          f.flagged = true;
          fired = true;
        }
      }
      if (!fired) return "";
    }
    return "max cycle reached";
  }
  std::string execute(std::vector<Fact>& facts) { return execute_with_context(gleak::background(), facts); }
};

}  // namespace

int main() {
  return gleak::run([] {
    int flagged = 0;
    {
      GruleEngine engine;
      // Validate the three rule sets at startup.
      for (int set = 0; set < 3; ++set) {
        std::vector<Fact> facts = {{"deposit", 500 * (set + 1)}, {"withdrawal", 2000}, {"fee", 15}};
        std::string err = engine.execute(facts);
        if (!err.empty()) std::printf("rule set %d: %s\n", set, err.c_str());
        for (const Fact& f : facts) flagged += f.flagged;
      }
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The service then scores transactions without the engine.
    long score = flagged;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      score = (score * 7 + tick) % 100003;
      if (tick % 1000 == 999) std::printf("score %ld\n", score);
    }
  });
}
