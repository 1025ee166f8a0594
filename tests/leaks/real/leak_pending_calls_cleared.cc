// RPC client whose connection keeps its in-flight calls in a std::list<Pending>. When
// the connection drops, on_disconnect() was meant to close every call's reply channel;
// it only clears the list (the nodes are freed), so the ten callers wait on their
// replies for ever. The connection object itself lives on in main.
// gleak-expect: leaked 10 Conn chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

struct Call {
  std::string method;
  gleak::Chan<std::string> reply{1};
};

struct Pending {
  long id;
  std::shared_ptr<Call> call;
};

class Conn {
 public:
  // call_async registers the call and returns at once; the caller waits on the reply.
  void call_async(std::string method, std::shared_ptr<long> answered) {
    auto c = std::make_shared<Call>();
    c->method = std::move(method);
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      pending_.push_back(Pending{next_id_++, c});
    }
    gleak::go([c, answered] {
      std::optional<std::string> r = c->reply.recv();
      if (r) *answered += static_cast<long>(r->size());
    });
  }
  void on_disconnect() {
    std::lock_guard<gleak::Mutex> g(mu_);
    pending_.clear();  // BUG: the pending calls' reply channels are never closed
    ++generation_;
  }
  long generation() const { return generation_; }

 private:
  gleak::Mutex mu_;
  std::list<Pending> pending_;
  long next_id_ = 1;
  long generation_ = 0;
};

}  // namespace

int main() {
  return gleak::run([] {
    auto answered = std::make_shared<long>(0);
    Conn conn;
    for (int i = 0; i < 10; ++i) conn.call_async("/kv.KV/Get", answered);
    conn.on_disconnect();  // the server went away
    std::printf("ready\n");
    std::fflush(stdout);
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      if (tick % 1000 == 999) std::printf("generation %ld answered %ld\n", conn.generation(), *answered);
    }
  });
}
