// A stream handle whose state is a std::variant<Open, Closed>; Open owns the shared
// stream state (std::shared_ptr). close_send() switches to Closed{code} but does not
// close the stream's recv channel, so the receiver goroutine started by open() waits
// on it for ever. The variant lives on in main's handle; Closed is smaller than Open.
// gleak-expect: leaked 1 recv_loop chan receive
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <variant>

using namespace std::chrono_literals;

namespace {

struct StreamState {
  std::string method;
  gleak::Chan<std::string> inbound{0};
  long received = 0;
};

void recv_loop(std::shared_ptr<StreamState> s) {
  for (std::string& m : s->inbound) s->received += static_cast<long>(m.size());
}

struct Open {
  std::string method;
  std::shared_ptr<StreamState> state;
};
struct Closed {
  int code = 0;
};

class ClientStream {
 public:
  void open(const std::string& method) {
    auto s = std::make_shared<StreamState>();
    s->method = method;
    gleak::go(recv_loop, s);
    st_ = Open{method, std::move(s)};
  }
  void close_send(int code) { st_ = Closed{code}; }  // BUG: state->inbound is not closed
  bool closed() const { return std::holds_alternative<Closed>(st_); }

 private:
  std::variant<Closed, Open> st_;
};

}  // namespace

int main() {
  return gleak::run([] {
    ClientStream stream;
    stream.open("/chat.v1.Chat/Subscribe");
    stream.close_send(0);
    std::printf("ready\n");
    std::fflush(stdout);
    long polls = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      polls += stream.closed() ? 1 : 2;
      if (tick % 1000 == 999) std::printf("polls %ld\n", polls);
    }
  });
}
