// Look-alike of a lost cancel: each request derives `ctx, _ := context.WithCancel(srvCtx)`
// and drops the cancel func, and its watchers wait on ctx.Done(). But the parent server
// context, which main keeps and checks every tick, holds its children: cancelling it at
// shutdown ends them all, so the watchers are not leaked.
// gleak-expect: none
#include <gleak/gleak.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

using namespace std::chrono_literals;

namespace {

void watch_request(gleak::Context ctx, long id, std::shared_ptr<std::atomic<long>> finished) {
  ctx.done().recv();
  *finished += id;
}

void handle_request(gleak::Context srv_ctx, long id, std::shared_ptr<std::atomic<long>> finished) {
  auto [ctx, cancel] = gleak::with_cancel(srv_ctx);  // cancel dropped: only the server ends it
  gleak::go(watch_request, ctx, id, finished);
}

}  // namespace

int main() {
  return gleak::run([] {
    auto [srv_ctx, shutdown] = gleak::with_cancel(gleak::background());
    auto finished = std::make_shared<std::atomic<long>>(0);
    for (long id = 1; id <= 3; ++id) handle_request(srv_ctx, id, finished);
    std::printf("ready\n");
    std::fflush(stdout);
    for (long tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (srv_ctx.err()) break;
      if (tick == 1000000) shutdown();  // SIGTERM handling, much later
      if (tick % 1000 == 999) std::printf("finished %ld\n", finished->load());
    }
    return 0;
  });
}
