// Port of buraksezer/consistent's GetClosestN (buraksezer/consistent#23): getClosestN
// read-locks the ring and, still holding it, calls GetPartitionOwner, which read-locks it
// again. When Add (a member joining) asks for the write lock in between, the second RLock
// queues behind the writer, and the writer waits for the first RLock: both wait for ever.
// Only the rebalancing job's goroutines hold the ring.
// gleak-expect: leaked 1 * sync.RWMutex.RLock
// gleak-expect: leaked 1 * sync.RWMutex.Lock
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Consistent {
  gleak::RWMutex mu;
  std::map<std::size_t, std::string> ring;
  std::vector<std::string> partitions;
  std::map<std::string, double> loads;

  explicit Consistent(int partition_count) : partitions(static_cast<std::size_t>(partition_count)) {}

  void add(const std::string& member) {
    std::lock_guard<gleak::RWMutex> g(mu);
    ring[std::hash<std::string>{}(member)] = member;
    for (std::size_t p = 0; p < partitions.size(); ++p) partitions[p] = ring.begin()->second;
  }
  std::string get_partition_owner(int part_id) {
    std::shared_lock<gleak::RWMutex> g(mu);
    return partitions[static_cast<std::size_t>(part_id) % partitions.size()];
  }
  std::vector<std::string> get_closest_n(int part_id, int count) {
    std::shared_lock<gleak::RWMutex> g(mu);
    std::vector<std::string> res;
    // Average load lookup: asks the members' load reporter (a network round trip).
    gleak::sleep(100ms);
    std::string owner = get_partition_owner(part_id);  // BUG: recursive read lock
    res.push_back(owner);
    for (auto& [h, m] : ring) {
      if (static_cast<int>(res.size()) >= count) break;
      if (m != owner) res.push_back(m);
    }
    return res;
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    {
      auto ring = std::make_shared<Consistent>(271);
      for (const char* m : {"node-a", "node-b", "node-c"}) ring->add(m);
      // Rebalancing job: a replica lookup and, shortly after, a member joining.
      gleak::go([ring] {
        auto replicas = ring->get_closest_n(42, 2);
        std::printf("replicas of 42: %zu\n", replicas.size());
      });
      gleak::go([ring] {
        gleak::sleep(10ms);  // the gossip layer notices node-d
        ring->add("node-d");
      });
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The cache server keeps serving from its local shard.
    long hits = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      hits += tick % 7;
      if (tick % 1000 == 999) std::printf("hits %ld\n", hits);
    }
  });
}
