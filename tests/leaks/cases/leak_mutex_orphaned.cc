// A mutex held by a goroutine that exited, with no one left to unlock it.
// Go lets one goroutine unlock a mutex another locked: begin_rotation() locks the token
// cache and hands the unlock to a rotation job. The job queue is full, the job is
// dropped, and begin_rotation returns. The readers wait for the mutex forever. The cache
// is a raw heap object (new, never freed) that only the readers still point to.
// gleak-expect: leaked 2 read_token sync.Mutex.Lock
#include <gleak/gleak.h>

#include <cstdio>
#include <string>

#include "harness.h"

namespace {

struct TokenCache {
  gleak::Mutex mu;
  std::string token = "t0";
};

bool schedule_rotation(TokenCache*) { return false; }  // the job queue is full

void begin_rotation(TokenCache* cache, gleak::WaitGroup* finished) {
  cache->mu.lock();  // the rotation job was to unlock it...
  if (!schedule_rotation(cache)) std::printf("rotation dropped\n");  // BUG: ...but it never runs
  finished->done();
}

void read_token(TokenCache* cache, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  cache->mu.lock();
  std::printf("token %s\n", cache->token.c_str());
  cache->mu.unlock();
}

[[gnu::noinline]] void start_rotation(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  auto* cache = new TokenCache;  // a Go heap object: no owner besides the goroutines
  finished->add(1);
  gleak::go(begin_rotation, cache, finished);
  finished->wait();
  gleak::go(read_token, cache, reached);
  gleak::go(read_token, cache, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    reached.add(2);
    start_rotation(&finished, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
