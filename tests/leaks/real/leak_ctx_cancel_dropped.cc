// Context whose cancel function is dropped (what `go vet`'s lostcancel check warns about):
// a session derives `ctx, cancel := context.WithCancel(context.Background())`, starts its
// watchers on ctx.Done(), and the code path that should call cancel() on logout never runs
// because the session is replaced. Nothing can cancel the context: the watchers wait on
// its done channel for ever.
// gleak-expect: leaked 2 watch_session chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Session {
  std::string user;
  gleak::Context ctx;
  gleak::CancelFunc cancel;
};

// watch_session releases a session resource once the session's context ends.
void watch_session(gleak::Context ctx, std::string resource, std::shared_ptr<long> released) {
  ctx.done().recv();
  ++*released;
  std::printf("released %s (%s)\n", resource.c_str(), ctx.err().message().c_str());
}

std::unique_ptr<Session> login(const std::string& user, std::shared_ptr<long> released) {
  auto s = std::make_unique<Session>();
  s->user = user;
  auto [ctx, cancel] = gleak::with_cancel(gleak::background());
  s->ctx = ctx;
  s->cancel = cancel;
  gleak::go(watch_session, ctx, "lease for " + user, released);
  gleak::go(watch_session, ctx, "websocket for " + user, released);
  return s;
}

}  // namespace

int main() {
  return gleak::run([] {
    auto released = std::make_shared<long>(0);
    {
      std::unique_ptr<Session> s = login("alice", released);
      // Token refresh replaces the session object; BUG: the old one is never cancelled.
      s = std::make_unique<Session>(Session{"alice", gleak::background(), gleak::CancelFunc()});
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The gateway goes on routing (in memory).
    long routed = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      routed += 1 + *released + tick % 2;
      if (tick % 1000 == 999) std::printf("routed %ld\n", routed);
    }
  });
}
