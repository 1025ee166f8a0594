// Look-alike of the errgroup leak, heap-shared: partition watchers in an
// ErrGroup::with_context group wait on the group's context. Main holds only the ErrGroup
// (its state is a std::shared_ptr shared with every worker closure, and it owns the
// context's CancelFunc). On SIGTERM main adds a task that fails; the first error cancels
// the context, every watcher returns, and Wait returns the error.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>

#include "harness.h"

namespace {

gleak::Error watch_partition(gleak::Context ctx, int id, gleak::WaitGroup* started) {
  started->done();
  ctx.done().recv();
  std::printf("partition %d: %s\n", id, ctx.err().message().c_str());
  return gleak::Error();
}

[[gnu::noinline]] gleak::ErrGroup start_watchers(int n, gleak::WaitGroup* started) {
  auto [group, ctx] = gleak::ErrGroup::with_context(gleak::background());
  for (int i = 0; i < n; ++i) group.go([ctx = ctx, i, started] { return watch_partition(ctx, i, started); });
  return group;
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup started;
    started.add(3);
    gleak::ErrGroup group = start_watchers(3, &started);
    started.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    group.go([] { return gleak::Error("shutdown requested"); });
    gleak::Error err = group.wait();
    std::printf("group: %s\nclean exit\n", err.message().c_str());
    std::fflush(stdout);
    return 0;
  });
}
