// etcd5509 — a failure path keeps a read lock; Close()'s Lock hangs, later readers too.
// fetch_members() read-locks the client (std::shared_ptr, shared by three goroutines)
// and returns on its error path without RUnlock. close_client() then waits for the
// write lock forever, and list_members(), arriving behind that queued writer, waits for
// a read lock forever.
// gleak-expect: leaked 1 close_client sync.RWMutex.Lock
// gleak-expect: leaked 1 list_members sync.RWMutex.RLock
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace {

struct Client {
  gleak::RWMutex mu;
  std::vector<std::string> members;
  bool closed = false;
};

gleak::Error fetch_members(Client* c) {
  c->mu.lock_shared();
  if (c->members.empty()) return gleak::Error("no members");  // BUG: RUnlock skipped
  c->mu.unlock_shared();
  return gleak::Error();
}

void sync_members(std::shared_ptr<Client> c, gleak::WaitGroup* finished) {
  if (gleak::Error err = fetch_members(c.get())) std::printf("sync: %s\n", err.message().c_str());
  finished->done();
}

void close_client(std::shared_ptr<Client> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  c->mu.lock();
  c->closed = true;
  c->mu.unlock();
}

void list_members(std::shared_ptr<Client> c, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  c->mu.lock_shared();
  for (auto& m : c->members) std::printf("%s\n", m.c_str());
  c->mu.unlock_shared();
}

[[gnu::noinline]] void start_client(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  auto c = std::make_shared<Client>();
  finished->add(1);
  gleak::go(sync_members, c, finished);
  finished->wait();  // a read lock is now held by no one alive
  gleak::go(close_client, c, reached);
  // Test interleaving: the writer must be queued before the next reader arrives.
  while (c->mu.try_lock_shared()) {
    c->mu.unlock_shared();
    gleak::yield();
  }
  gleak::go(list_members, c, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    reached.add(2);
    start_client(&finished, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
