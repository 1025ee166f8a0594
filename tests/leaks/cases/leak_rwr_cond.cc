// kubernetes58107 — a worker holds a read lock while waiting on a Cond.
// process_item() read-locks the queue (std::shared_ptr, shared by three goroutines) and
// waits on its Cond for an item. sync_all() queues for the write lock behind that read
// lock; add_item(), which would signal, then queues for a read lock behind the writer.
// Worker waits for producer, producer for writer, writer for worker: a 3-way cycle.
// gleak-expect: leaked 1 process_item sync.Cond.Wait
// gleak-expect: leaked 1 sync_all sync.RWMutex.Lock
// gleak-expect: leaked 1 add_item sync.RWMutex.RLock
// gleak-expect: heap-shared
// gleak-expect: deadlock-cycle
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <deque>
#include <memory>

#include "harness.h"

namespace {

struct WorkQueue {
  gleak::RWMutex rw;
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  std::deque<int> items;
};

void process_item(std::shared_ptr<WorkQueue> q, gleak::WaitGroup* reached) {
  q->rw.lock_shared();
  q->mu.lock();
  reached->done();  // test handshake: the wait below never returns
  while (q->items.empty()) q->cond.wait();  // BUG: waits holding the read lock
  std::printf("item %d\n", q->items.front());
  q->items.pop_front();
  q->mu.unlock();
  q->rw.unlock_shared();
}

void sync_all(std::shared_ptr<WorkQueue> q, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  q->rw.lock();
  q->items.clear();
  q->rw.unlock();
}

void add_item(std::shared_ptr<WorkQueue> q, int v, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  q->rw.lock_shared();
  q->mu.lock();
  q->items.push_back(v);
  q->cond.signal();
  q->mu.unlock();
  q->rw.unlock_shared();
}

[[gnu::noinline]] void start_queue(gleak::WaitGroup* waiting, gleak::WaitGroup* reached) {
  auto q = std::make_shared<WorkQueue>();
  waiting->add(1);
  gleak::go(process_item, q, waiting);
  waiting->wait();  // the worker holds the read lock
  gleak::go(sync_all, q, reached);
  // Test interleaving: the writer must be queued before the producer asks for a read lock.
  while (q->rw.try_lock_shared()) {
    q->rw.unlock_shared();
    gleak::yield();
  }
  gleak::go(add_item, q, 7, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup waiting, reached;
    reached.add(2);
    start_queue(&waiting, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
