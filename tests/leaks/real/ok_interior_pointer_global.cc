// Look-alike of a dropped pager: the pager object is heap-allocated and owned by
// nobody, but a global points into its middle (at its alerts channel member), and
// main's loop sends an alert through that global every 3 s.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Pager {
  std::string service = "payments";
  long escalation_policy[6] = {5, 10, 30, 60, 120, 240};
  gleak::Chan<std::string> alerts{0};
  long paged = 0;
};

gleak::Chan<std::string>* g_alerts = nullptr;

void start_pager() {
  auto* p = new Pager();
  gleak::go([p] {
    for (std::string& a : p->alerts) p->paged += static_cast<long>(a.size());
  });
  g_alerts = &p->alerts;
}

}  // namespace

int main() {
  return gleak::run([] {
    start_pager();
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 150 == 149) g_alerts->send("error rate above 2%");
    }
  });
}
