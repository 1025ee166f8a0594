// Look-alike of a writer stuck behind a lost read lock: the config updater goroutine waits
// in Lock() on the table's RWMutex, which a plain std::thread (a backup exporter) holds
// for reading through a std::shared_lock on its stack while it writes a 2 s chunk. The
// thread keeps the table in a stack variable and releases the lock after every chunk.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

struct ConfigTable {
  gleak::RWMutex mu;
  std::map<std::string, std::string> kv = {{"replicas", "3"}, {"region", "eu-west"}};
  std::atomic<long> version{0};
};

std::atomic<long> exported{0};

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto table = std::make_shared<ConfigTable>();
      std::thread([table] {
        for (;;) {
          std::shared_lock<gleak::RWMutex> lk(table->mu);
          std::this_thread::sleep_for(2s);  // writing a chunk of the snapshot to disk
          exported += static_cast<long>(table->kv.size());
        }
      }).detach();
      gleak::go([table] {
        for (long v = 1;; ++v) {
          {
            std::lock_guard<gleak::RWMutex> lk(table->mu);
            table->kv["version"] = std::to_string(v);
            table->version = v;
          }
          gleak::sleep(10ms);  // next config push
        }
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("exported %ld\n", exported.load());
    }
  });
}
