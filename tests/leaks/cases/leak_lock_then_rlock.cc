// syncthing4829 — a goroutine holds the write lock and then asks for the read lock.
// close_connection() write-locks the model's folder lock and, while holding it, calls
// folder_count(), which read-locks the same RWMutex: it waits for itself. The Model lives
// on the leaked goroutine's own stack.
// gleak-expect: leaked 1 folder_count sync.RWMutex.RLock
#include <gleak/gleak.h>

#include <cstdio>
#include <map>
#include <string>

#include "harness.h"

namespace {

struct Model {
  gleak::RWMutex fmut;
  std::map<int, std::string> folders{{1, "photos"}, {2, "docs"}};
};

[[gnu::noinline]] std::size_t folder_count(Model* m) {
  m->fmut.lock_shared();  // BUG: the caller holds fmut for writing
  std::size_t n = m->folders.size();
  m->fmut.unlock_shared();
  return n;
}

[[gnu::noinline]] void close_connection(Model* m, int device) {
  m->fmut.lock();
  m->folders.erase(device);
  std::printf("%zu folders left\n", folder_count(m));
  m->fmut.unlock();
}

void serve_model(gleak::WaitGroup* reached) {
  Model m;
  reached->done();  // test handshake: the next call never returns
  close_connection(&m, 1);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    gleak::go(serve_model, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
