// moby30408 — Cond.Wait with no Signal or Broadcast left to come.
// Two goroutines wait on a Cond in a TokenWaiter (std::shared_ptr) for a registry token.
// The fetcher that should Broadcast hits an error and returns without signalling. The
// waiters sleep in Cond.Wait forever, holding the last references to the TokenWaiter.
// gleak-expect: leaked 2 wait_for_token sync.Cond.Wait
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <string>

#include "harness.h"

namespace {

struct TokenWaiter {
  gleak::Mutex mu;
  gleak::Cond cond{mu};
  bool ready = false;
  std::string token;
};

gleak::Error pull_token(std::string*) { return gleak::Error("registry unreachable"); }

void fetch_token(std::shared_ptr<TokenWaiter> w, gleak::WaitGroup* finished) {
  std::string tok;
  if (gleak::Error err = pull_token(&tok)) {
    std::printf("fetch: %s\n", err.message().c_str());
    finished->done();
    return;  // BUG: the waiters are never told
  }
  w->mu.lock();
  w->token = tok;
  w->ready = true;
  w->cond.broadcast();
  w->mu.unlock();
  finished->done();
}

void wait_for_token(std::shared_ptr<TokenWaiter> w, gleak::WaitGroup* reached) {
  w->mu.lock();
  reached->done();  // test handshake: the wait below never returns
  while (!w->ready) w->cond.wait();
  std::printf("token %s\n", w->token.c_str());
  w->mu.unlock();
}

[[gnu::noinline]] void start_login(gleak::WaitGroup* finished, gleak::WaitGroup* reached) {
  auto w = std::make_shared<TokenWaiter>();
  gleak::go(wait_for_token, w, reached);
  gleak::go(wait_for_token, w, reached);
  gleak::go(fetch_token, w, finished);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup finished, reached;
    finished.add(1);
    reached.add(2);
    start_login(&finished, &reached);
    finished.wait();
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
