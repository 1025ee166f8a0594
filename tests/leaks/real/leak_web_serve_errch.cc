// Port of Prometheus' web.Handler.Run (prometheus/prometheus#8965): Run starts
// `go func() { errCh <- httpSrv.Serve(listener) }()` with an unbuffered errCh and selects
// on errCh and ctx.Done(). When the context is cancelled, Run shuts the server down and
// returns nil; Serve then returns ErrServerClosed and its goroutine blocks for ever on
// `errCh <- err`, since nobody receives any more (the fix gave errCh a buffer of 1).
// gleak-expect: leaked 1 WebHandler chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

using namespace std::chrono_literals;

namespace {

// HttpServer accepts connections until shut down.
struct HttpServer {
  gleak::Chan<int> conns{16};
  gleak::Chan<gleak::Unit> quit{0};
  long served = 0;

  std::string serve() {
    for (;;) {
      bool closed = false;
      gleak::select(gleak::recv_case(conns, [&](std::optional<int> c) { served += c.value_or(0); }),
                    gleak::recv_case(quit, [&](std::optional<gleak::Unit>) { closed = true; }));
      if (closed) return "http: Server closed";
    }
  }
  void shutdown() { quit.close(); }
};

struct WebHandler {
  std::shared_ptr<HttpServer> srv = std::make_shared<HttpServer>();

  // run serves until ctx ends; it returns Serve's error, or "" after a shutdown.
  std::string run(gleak::Context ctx) {
    gleak::Chan<std::string> err_ch(0);  // BUG: unbuffered
    auto srv_ = srv;
    gleak::go([err_ch, srv_] { err_ch.send(srv_->serve()); });
    std::string err;
    gleak::select(gleak::recv_case(err_ch, [&](std::optional<std::string> e) { err = e.value_or(""); }),
                  gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) { srv_->shutdown(); }));
    return err;
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    {
      // The web handler runs in its own goroutine until the reloader cancels it.
      auto [ctx, cancel] = gleak::with_cancel(gleak::background());
      auto handler = std::make_shared<WebHandler>();
      gleak::go([handler, ctx = ctx] {
        std::string err = handler->run(ctx);
        if (!err.empty()) std::printf("web handler: %s\n", err.c_str());
      });
      for (int c = 1; c <= 3; ++c) handler->srv->conns.send(c);
      cancel();  // configuration reload: stop the web handler
    }
    std::printf("ready\n");
    std::fflush(stdout);
    // The rule manager keeps evaluating.
    double value = 1;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      value = value * 0.9 + tick;
      if (tick % 1000 == 999) std::printf("rule value %f\n", value);
    }
  });
}
