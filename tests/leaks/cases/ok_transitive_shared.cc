// Look-alike of a leak chain, heap-shared: a Stage (std::shared_ptr) is held only by an
// uploader blocked on its mutex and by a packer that holds that mutex while blocked on a
// Session's `resume` channel. Main holds the Session (another std::shared_ptr) and
// closes `resume` on SIGTERM: the packer is live, so the Stage and its waiter are too.
// gleak-expect: none
// gleak-expect: heap-shared
#include <gleak/gleak.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Session {
  gleak::Chan<gleak::Unit> resume{0};
  gleak::WaitGroup all;
};

struct Stage {
  gleak::Mutex mu;
  int packed = 0;
};

void pack_stage(std::shared_ptr<Session> s, std::shared_ptr<Stage> st, gleak::WaitGroup* locked) {
  st->mu.lock();
  locked->done();
  s->resume.recv();
  ++st->packed;
  st->mu.unlock();
  s->all.done();
}

void upload_stage(std::shared_ptr<Stage> st, gleak::WaitGroup* reached, gleak::WaitGroup* all) {
  reached->done();
  st->mu.lock();
  std::printf("uploading %d packed\n", st->packed);
  st->mu.unlock();
  all->done();
}

[[gnu::noinline]] void start_stage(std::shared_ptr<Session> s, gleak::WaitGroup* locked, gleak::WaitGroup* reached) {
  auto st = std::make_shared<Stage>();
  locked->add(1);
  gleak::go(pack_stage, s, st, locked);
  locked->wait();
  gleak::go(upload_stage, st, reached, &s->all);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    auto session = std::make_shared<Session>();
    gleak::WaitGroup locked, reached;
    session->all.add(2);
    reached.add(1);
    start_stage(session, &locked, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    session->resume.close();
    session->all.wait();
    std::printf("clean exit\n");
    std::fflush(stdout);
    return 0;
  });
}
