// WaitGroup added once too often: the batch uploader counts the manifest as one more
// task (`wg.Add(len(files) + 1)`) but uploads it after Wait, so Wait never returns. The
// uploader runs in its own goroutine with the WaitGroup in its frame; main handed it the
// batch and moved on.
// gleak-expect: leaked 1 upload_batch sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Batch {
  std::string bucket;
  std::vector<std::string> files;
  std::atomic<long> bytes{0};
};

void upload_batch(std::shared_ptr<Batch> b) {
  gleak::WaitGroup wg;
  wg.add(static_cast<int64_t>(b->files.size()) + 1);  // BUG: +1 for the manifest, uploaded below
  for (const std::string& f : b->files) {
    gleak::go([&wg, b, f] {
      gleak::sleep(3ms);  // PUT s3://bucket/file
      b->bytes += static_cast<long>(f.size()) * 1024;
      wg.done();
    });
  }
  wg.wait();
  std::printf("uploaded %zu files to %s, writing manifest\n", b->files.size(), b->bucket.c_str());
}

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto b = std::make_shared<Batch>();
      b->bucket = "backups-eu";
      b->files = {"db-0001.tar", "db-0002.tar", "wal-88.log"};
      gleak::go(upload_batch, b);
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The backup agent goes on snapshotting (local work).
    long snapshots = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      snapshots += tick % 3 == 0;
      if (tick % 1000 == 999) std::printf("snapshots %ld\n", snapshots);
    }
  });
}
