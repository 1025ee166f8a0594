// collect_reports() starts one goroutine per shard capturing its locals by reference
// ([&]); each sends its shard report on the local unbuffered channel and then calls
// wg.done(). The collector waits on the local WaitGroup before it reads the channel, so
// no sender finishes: the collector waits in wg.wait() and the shard goroutines in send.
// The WaitGroup and the channel handle live in the collector's own frame.
// gleak-expect: leaked 1 collect_reports sync.WaitGroup.Wait
// gleak-expect: leaked 3 * chan send
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Report {
  std::string shard;
  long rows = 0;
};

struct Summary {
  std::atomic<long> rows{0};
  std::atomic<int> runs{0};
};

long count_rows(const std::string& shard) { return static_cast<long>(shard.size()) * 1000; }

void collect_reports(std::vector<std::string> shards, std::shared_ptr<Summary> out) {
  gleak::WaitGroup wg;
  gleak::Chan<Report> reports(0);
  for (const std::string& shard : shards) {
    wg.add(1);
    gleak::go([&, shard] {
      reports.send(Report{shard, count_rows(shard)});
      wg.done();
    });
  }
  wg.wait();  // BUG: waits for the senders before anyone reads reports
  reports.close();
  for (Report& r : reports) out->rows += r.rows;
  ++out->runs;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto summary = std::make_shared<Summary>();
    {
      std::vector<std::string> shards = {"users-a", "users-b", "orders"};
      gleak::go(collect_reports, shards, summary);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("runs %d rows %ld\n", summary->runs.load(), summary->rows.load());
    }
  });
}
