// Look-alike of leak_pipeline_early_stop: the same two stages block on their sends most
// of the time, but main keeps the pipeline's output channel and takes one record every
// few ticks. The first stage's channel is held by the second stage, which main can wake.
// gleak-expect: none
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Record {
  long offset = 0;
  std::string key;
};

gleak::Chan<Record> open_pipeline() {
  gleak::Chan<std::string> lines(0);
  gleak::Chan<Record> records(0);
  gleak::go([lines] {
    for (long i = 0;; ++i) lines.send("key-" + std::to_string(i * 7 % 1000) + " value");
  });
  gleak::go([lines, records] {
    long offset = 0;
    for (const std::string& l : lines) {
      records.send(Record{offset, l.substr(0, l.find(' '))});
      offset += static_cast<long>(l.size()) + 1;
    }
    records.close();
  });
  return records;
}

}  // namespace

int main() {
  return gleak::run([] {
    gleak::Chan<Record> records = open_pipeline();
    std::printf("ready\n");
    std::fflush(stdout);
    long indexed = 0;
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 50 == 49) {  // the indexer takes a record once a second
        auto r = records.recv();
        if (!r) break;
        indexed += r->offset % 7;
      }
    }
    return static_cast<int>(indexed % 2);
  });
}
