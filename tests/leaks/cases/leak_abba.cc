// cockroach7504 — AB-BA lock order between two goroutines (cache→lease vs lease→cache).
// The lease manager (std::shared_ptr, shared by both goroutines) has two mutexes.
// acquire_lease() takes lease_mu then cache_mu; purge_cache() takes cache_mu then
// lease_mu. When each holds its first lock, both wait for the other forever. (A
// WaitGroup barrier forces that interleaving, as GoKer's injected Gosched calls do.)
// gleak-expect: leaked 1 acquire_lease sync.Mutex.Lock
// gleak-expect: leaked 1 purge_cache sync.Mutex.Lock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct LeaseManager {
  gleak::Mutex lease_mu;
  gleak::Mutex cache_mu;
  int leases = 0;
  int cached = 0;
};

void acquire_lease(std::shared_ptr<LeaseManager> m, gleak::WaitGroup* both, gleak::WaitGroup* reached) {
  m->lease_mu.lock();
  both->done();  // test interleaving: both goroutines hold their first lock
  both->wait();
  reached->done();
  m->cache_mu.lock();
  ++m->leases;
  ++m->cached;
  m->cache_mu.unlock();
  m->lease_mu.unlock();
}

void purge_cache(std::shared_ptr<LeaseManager> m, gleak::WaitGroup* both, gleak::WaitGroup* reached) {
  m->cache_mu.lock();
  both->done();  // test interleaving: both goroutines hold their first lock
  both->wait();
  reached->done();
  m->lease_mu.lock();
  m->cached = 0;
  m->lease_mu.unlock();
  m->cache_mu.unlock();
}

[[gnu::noinline]] void start_lease_manager(gleak::WaitGroup* both, gleak::WaitGroup* reached) {
  auto m = std::make_shared<LeaseManager>();
  gleak::go(acquire_lease, m, both, reached);
  gleak::go(purge_cache, m, both, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup both, reached;
    both.add(2);
    reached.add(2);
    start_lease_manager(&both, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
