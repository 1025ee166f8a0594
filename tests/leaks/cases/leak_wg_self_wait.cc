// WaitGroup misuse: Wait inside the goroutines that must call Done.
// Three shard mappers share a Shuffle (std::shared_ptr) whose WaitGroup counts them.
// Each mapper, after its work, waits for "all mappers done" before calling its own
// Done: every mapper waits for itself, the counter stays at 3, all three leak.
// gleak-expect: leaked 3 map_shard sync.WaitGroup.Wait
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "harness.h"

namespace {

struct Shuffle {
  gleak::WaitGroup mapped;
  gleak::Mutex mu;
  std::vector<int> buckets;
};

void map_shard(std::shared_ptr<Shuffle> s, int shard, gleak::WaitGroup* reached) {
  s->mu.lock();
  s->buckets.push_back(shard);
  s->mu.unlock();
  reached->done();  // test handshake: the next line never returns
  s->mapped.wait();  // BUG: waits for its own Done, which comes after
  s->mapped.done();
}

[[gnu::noinline]] void start_shuffle(int shards, gleak::WaitGroup* reached) {
  auto s = std::make_shared<Shuffle>();
  s->mapped.add(shards);
  for (int i = 0; i < shards; ++i) gleak::go(map_shard, s, i, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(3);
    start_shuffle(3, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
