// etcd6857 — Status() sends on a channel after run() has exited through `stop`.
// node_run() serves `status` requests until it receives `stop`. stop_node() stops it; a
// later query_status() sends its request on the unbuffered `status` channel, which
// nobody will ever receive from again. The Node (std::shared_ptr) is shared by all three.
// gleak-expect: leaked 1 query_status chan send
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "harness.h"

namespace {

struct Node {
  gleak::Chan<gleak::Chan<int>> status{0};
  gleak::Chan<gleak::Unit> stop{0};
  gleak::Chan<gleak::Unit> done{0};
};

void node_run(std::shared_ptr<Node> n) {
  for (bool stopped = false; !stopped;) {
    gleak::select(gleak::recv_case(n->status, [](std::optional<gleak::Chan<int>> c) { c->send(1); }),
                  gleak::recv_case(n->stop, [&](std::optional<gleak::Unit>) {
                    n->done.close();
                    stopped = true;
                  }));
  }
}

void stop_node(std::shared_ptr<Node> n, gleak::WaitGroup* stopped) {
  gleak::select(gleak::send_case(n->stop, gleak::Unit{}, [] {}),
                gleak::recv_case(n->done, [](std::optional<gleak::Unit>) {}));
  stopped->done();
}

void query_status(std::shared_ptr<Node> n, gleak::WaitGroup* reached) {
  gleak::Chan<int> reply(0);
  reached->done();      // test handshake: the next line never returns
  n->status.send(reply);  // BUG: should select on n->done as well
  std::printf("status %d\n", reply.recv().value_or(-1));
}

[[gnu::noinline]] void start_node(gleak::WaitGroup* stopped, gleak::WaitGroup* reached) {
  auto n = std::make_shared<Node>();
  gleak::go(node_run, n);
  stopped->add(1);
  gleak::go(stop_node, n, stopped);
  stopped->wait();
  gleak::go(query_status, n, reached);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup stopped, reached;
    reached.add(1);
    start_node(&stopped, &reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
