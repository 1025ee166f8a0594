// cockroach3710 — recursive RLock with a writer queued in between (RWR deadlock).
// read_range() holds a read lock on the range cache (std::shared_ptr, shared with a
// writer) and calls lookup_meta(), which read-locks again. Between the two, a writer
// queued in update_range(); a queued writer keeps new readers out, so the nested RLock
// waits for the writer, which waits for the outer read lock to be released.
// gleak-expect: leaked 1 lookup_meta sync.RWMutex.RLock
// gleak-expect: leaked 1 update_range sync.RWMutex.Lock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>
#include <map>
#include <memory>

#include "harness.h"

namespace {

struct RangeCache {
  gleak::RWMutex rw;
  std::map<int, int> ranges{{1, 10}};
};

[[gnu::noinline]] int lookup_meta(RangeCache* c, int key) {
  c->rw.lock_shared();  // BUG: nested read lock; waits behind the queued writer
  int v = c->ranges.count(key) ? c->ranges[key] : 0;
  c->rw.unlock_shared();
  return v;
}

void read_range(std::shared_ptr<RangeCache> c, gleak::WaitGroup* holding, gleak::WaitGroup* reached) {
  c->rw.lock_shared();
  holding->done();
  // Test interleaving: go on once a writer is queued (then try_lock_shared fails).
  while (c->rw.try_lock_shared()) {
    c->rw.unlock_shared();
    gleak::yield();
  }
  reached->done();
  int v = lookup_meta(c.get(), 1);
  c->rw.unlock_shared();
  std::printf("range 1 -> %d\n", v);
}

void update_range(std::shared_ptr<RangeCache> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  c->rw.lock();
  c->ranges[1] = 11;
  c->rw.unlock();
}

[[gnu::noinline]] void start_ranges(gleak::WaitGroup* holding, gleak::WaitGroup* reached) {
  auto c = std::make_shared<RangeCache>();
  holding->add(1);
  gleak::go(read_range, c, holding, reached);
  holding->wait();  // the reader holds its first read lock
  gleak::go(update_range, c, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup holding, reached;
    reached.add(2);
    start_ranges(&holding, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
