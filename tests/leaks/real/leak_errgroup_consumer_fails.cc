// errgroup producer/consumer where the producer sends on an unbuffered channel without
// selecting on the group's context: the consumer rejects an object with a bad checksum
// and returns an error, which cancels ctx, but the producer is parked in `ch <- obj`,
// not watching ctx. g.Wait() in the sync request then never returns.
// gleak-expect: leaked 1 sync_bucket chan send
// gleak-expect: leaked 1 sync_bucket sync.WaitGroup.Wait
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Object {
  std::string key;
  std::size_t sum = 0;
};

struct SyncStatus {
  gleak::Mutex mu;
  std::vector<std::string> log;
};

void sync_bucket(std::string bucket, std::shared_ptr<SyncStatus> status) {
  auto [g, ctx] = gleak::ErrGroup::with_context(gleak::background());
  gleak::Chan<Object> objects(0);
  g.go([objects, bucket]() -> gleak::Error {
    for (int i = 0; i < 50; ++i) {
      std::string key = bucket + "/obj-" + std::to_string(i);
      objects.send(Object{key, i == 2 ? 0 : std::hash<std::string>{}(key)});  // BUG: no ctx.done() case
    }
    objects.close();
    return {};
  });
  g.go([objects, status]() -> gleak::Error {
    for (Object& o : objects) {
      if (o.sum != std::hash<std::string>{}(o.key)) return gleak::Error("checksum mismatch: " + o.key);
      std::lock_guard<gleak::Mutex> l(status->mu);
      status->log.push_back(o.key);
    }
    return {};
  });
  gleak::Error err = g.wait();
  std::lock_guard<gleak::Mutex> l(status->mu);
  status->log.push_back(err ? err.message() : "ok");
}

}  // namespace

int main() {
  return gleak::run([] {
    auto status = std::make_shared<SyncStatus>();
    gleak::go(sync_bucket, std::string("s3://media"), status);
    std::printf("ready\n");
    std::fflush(stdout);
    std::size_t shown = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      std::lock_guard<gleak::Mutex> l(status->mu);
      for (; shown < status->log.size(); ++shown) std::printf("sync: %s\n", status->log[shown].c_str());
    }
  });
}
