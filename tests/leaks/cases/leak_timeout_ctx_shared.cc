// kubernetes5316 with a deadline context and a heap-shared call record.
// A caller goroutine waits for an RPC reply or for its context's 20 ms deadline; the
// deadline wins and the caller returns. The RPC goroutine gets the server's (late)
// answer and blocks forever sending it on the call's unbuffered reply channel. The Call
// (std::shared_ptr) is shared by both goroutines; the RPC goroutine holds the last copy.
// gleak-expect: leaked 1 run_rpc chan send
// gleak-expect: heap-shared
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "harness.h"

namespace {

struct Call {
  gleak::Chan<int> reply{0};
  gleak::Chan<gleak::Unit> server_answer{0};  // stands for the slow server
};

void run_rpc(std::shared_ptr<Call> call, gleak::WaitGroup* reached) {
  call->server_answer.recv();
  reached->done();       // test handshake: the next line never returns
  call->reply.send(200);  // BUG: unbuffered, and the caller is gone
}

void call_with_deadline(std::shared_ptr<Call> call) {
  auto [ctx, cancel] = gleak::with_timeout(gleak::background(), std::chrono::milliseconds(20));
  int status = 0;
  gleak::select(gleak::recv_case(call->reply, [&](std::optional<int> v) { status = *v; }),
                gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) { status = -1; }));
  cancel();
  std::printf("rpc status %d (%s)\n", status, ctx.err().message().c_str());
  call->server_answer.close();  // the server answers after the deadline
}

[[gnu::noinline]] void start_call(gleak::WaitGroup* reached) {
  auto call = std::make_shared<Call>();
  gleak::go(run_rpc, call, reached);
  gleak::go(call_with_deadline, call);
}

}  // namespace

int main() {
  leak_case::block_stop_signals();
  return gleak::run([] {
    gleak::WaitGroup reached;
    reached.add(1);
    start_call(&reached);
    reached.wait();
    leak_case::announce_ready();
    leak_case::await_stop_signal();
    return 0;
  });
}
