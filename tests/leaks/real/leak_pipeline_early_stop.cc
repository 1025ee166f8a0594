// Pipeline whose consumer stops early (the "Go Concurrency Patterns: Pipelines" bug):
// gen -> parse -> main's loop, unbuffered channels, no done channel. main finds the
// record it wants and breaks out of the range; both stages block for ever on their next
// send once the channels' last handles went out of scope with the block.
// gleak-expect: leaked 2 * chan send
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

}  // namespace

int main() {
  return gleak::run([] {
    long found_at = -1;
    {
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
      for (const Record& r : records) {
        if (r.key == "key-42") {
          found_at = r.offset;
          break;  // BUG: nobody tells the stages to stop
        }
      }
    }
    std::printf("key-42 at offset %ld\n", found_at);
    std::printf("ready\n");
    std::fflush(stdout);
    // The indexer goes on with in-memory compaction.
    long compacted = found_at;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      compacted = (compacted * 3 + tick) % 65521;
      if (tick % 1000 == 999) std::printf("compacted %ld\n", compacted);
    }
  });
}
