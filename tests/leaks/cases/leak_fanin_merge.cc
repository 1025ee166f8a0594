// Fan-in where the merger stops early ("first reply wins" without cancellation).
// Three replicas answer on their own channels; a forwarder per replica copies replies into
// the merged channel, and a closer waits on the forwarders' WaitGroup to close it. The
// caller takes the first reply and returns. Two forwarders block on `out <- v`, and the
// closer waits forever for their Done. The Merge state (std::shared_ptr) is shared by all.
// gleak-expect: leaked 2 forward_replies chan send
// gleak-expect: leaked 1 close_merged sync.WaitGroup.Wait
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>

#include "harness.h"

namespace {

struct Merge {
  gleak::Chan<int> out{0};
  gleak::WaitGroup forwarding;
};

void query_replica(int id, gleak::Chan<int> reply) {
  reply.send(100 + id);
  reply.close();
}

void forward_replies(std::shared_ptr<Merge> m, gleak::Chan<int> in, gleak::WaitGroup* reached) {
  for (int v : in) {
    reached->done();  // test handshake: two of the three sends never complete
    m->out.send(v);
  }
  m->forwarding.done();
}

void close_merged(std::shared_ptr<Merge> m, gleak::WaitGroup* reached) {
  reached->done();  // test handshake: the next line never returns
  m->forwarding.wait();
  m->out.close();
}

[[gnu::noinline]] int first_reply(int replicas, gleak::WaitGroup* reached) {
  auto m = std::make_shared<Merge>();
  m->forwarding.add(replicas);
  for (int id = 0; id < replicas; ++id) {
    gleak::Chan<int> reply(0);
    gleak::go(query_replica, id, reply);
    gleak::go(forward_replies, m, reply, reached);
  }
  gleak::go(close_merged, m, reached);
  return *m->out.recv();  // BUG: takes the first reply and stops reading
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(4);
    std::printf("first reply %d\n", first_reply(3, &reached));
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
