// Port of go-ethereum's event.Resubscribe leak (ethereum/go-ethereum#20657): subscribe()
// runs the subscribe function in a goroutine that reports on an unbuffered `subscribed`
// channel, and selects on it and on `unsub`. When Unsubscribe wins while a (slow) dial is
// in progress, subscribe cancels the dial's context and returns; the dial goroutine then
// blocks on `subscribed <- err` for ever. Two head subscriptions dropped while dialing
// leak two.
// gleak-expect: leaked 2 ResubscribeSub chan send
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

using namespace std::chrono_literals;

namespace {

struct Subscription {
  std::string id;
  gleak::Chan<gleak::Error> err{1};
};

using SubscribeFunc = std::function<std::pair<std::shared_ptr<Subscription>, gleak::Error>(gleak::Context)>;

class ResubscribeSub : public std::enable_shared_from_this<ResubscribeSub> {
 public:
  ResubscribeSub(gleak::Duration backoff_max, SubscribeFunc fn) : backoff_max_(backoff_max), fn_(std::move(fn)) {}

  void start() {
    gleak::go([self = shared_from_this()] { self->loop(); });
  }

  void unsubscribe() {
    once_.call([this] {
      unsub_.send(gleak::Unit{});
      err_.recv();
    });
  }

 private:
  void loop() {
    for (;;) {
      std::shared_ptr<Subscription> sub = subscribe();
      if (!sub) break;
      if (!wait_for_error(*sub)) break;
    }
    err_.close();
  }

  std::shared_ptr<Subscription> subscribe() {
    gleak::Chan<gleak::Error> subscribed(0);
    gleak::Duration backoff = 1ms;
    for (;;) {
      gleak::WithCancel wc = gleak::with_cancel(gleak::background());
      auto result = std::make_shared<std::shared_ptr<Subscription>>();
      gleak::go([fn = fn_, ctx = wc.ctx, subscribed, result] {
        auto [rsub, err] = fn(ctx);
        *result = rsub;
        subscribed.send(err);  // BUG: nobody receives once unsub was chosen
      });
      gleak::Error err;
      bool unsubscribed = false;
      gleak::select(gleak::recv_case(subscribed, [&](std::optional<gleak::Error> e) { err = e ? *e : gleak::Error{}; }),
                    gleak::recv_case(unsub_, [&](std::optional<gleak::Unit>) { unsubscribed = true; }));
      wc.cancel();
      if (unsubscribed) return nullptr;
      if (!err) return *result;
      // Subscribing failed: wait, then try again.
      backoff = std::min(backoff * 2, backoff_max_);
      if (gleak::select(gleak::recv_case(gleak::after(backoff), [](std::optional<gleak::TimePoint>) {}),
                        gleak::recv_case(unsub_, [](std::optional<gleak::Unit>) {})) == 1)
        return nullptr;
    }
  }

  bool wait_for_error(Subscription& sub) {
    bool again = false;
    gleak::select(gleak::recv_case(sub.err, [&](std::optional<gleak::Error>) { again = true; }),
                  gleak::recv_case(unsub_, [](std::optional<gleak::Unit>) {}));
    return again;
  }

  gleak::Duration backoff_max_;
  SubscribeFunc fn_;
  gleak::Chan<gleak::Unit> unsub_{0};
  gleak::Chan<gleak::Error> err_{0};
  gleak::Once once_;
};

std::shared_ptr<ResubscribeSub> resubscribe(gleak::Duration backoff_max, SubscribeFunc fn) {
  auto s = std::make_shared<ResubscribeSub>(backoff_max, std::move(fn));
  s->start();
  return s;
}

// A websocket client whose node answers slowly.
struct Client {
  std::string endpoint;
  gleak::Duration dial_latency;

  std::pair<std::shared_ptr<Subscription>, gleak::Error> subscribe_new_head(gleak::Context ctx) {
    std::shared_ptr<Subscription> sub;
    gleak::Error err;
    gleak::select(gleak::recv_case(gleak::after(dial_latency),
                                   [&](std::optional<gleak::TimePoint>) {
                                     sub = std::make_shared<Subscription>();
                                     sub->id = endpoint + "/newHeads";
                                   }),
                  gleak::recv_case(ctx.done(), [&](std::optional<gleak::Unit>) { err = ctx.err(); }));
    return {sub, err};
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    int switched = 0;
    for (const char* endpoint : {"ws://node-a:8546", "ws://node-b:8546"}) {
      auto client = std::make_shared<Client>(Client{endpoint, 200ms});
      auto sub = resubscribe(2s, [client](gleak::Context ctx) { return client->subscribe_new_head(ctx); });
      gleak::sleep(10ms);  // the health check marks the node as lagging: switch endpoints
      sub->unsubscribe();
      ++switched;
    }
    std::printf("switched %d times\n", switched);
    std::printf("ready\n");
    std::fflush(stdout);
    // The indexer goes on with blocks from its fallback provider.
    long height = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      height += 1 + switched % 2;
      if (tick % 1000 == 999) std::printf("height %ld\n", height);
    }
  });
}
