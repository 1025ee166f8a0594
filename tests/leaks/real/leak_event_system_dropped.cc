// Port of go-ethereum's filter EventSystem leak (ethereum/go-ethereum#19892, "goroutine
// memory leak": eventLoop goroutines created by NewEventSystem pile up): eventLoop selects
// on the tx, log, removed-log and chain channels it subscribed to the backend's feeds, on
// install/uninstall and on the subscriptions' error channels. A simulated backend is built
// for every contract deployment and dropped without Close(); the feeds, their subscriber
// vectors and the event system go with it, and each eventLoop waits in select for ever.
// gleak-expect: leaked 2 EventSystem select
#include <gleak/gleak.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Subscription {
  gleak::Chan<gleak::Error> err{0};
  std::function<void()> unsubscribe;
};

template <class T>
class Feed : public std::enable_shared_from_this<Feed<T>> {
 public:
  std::shared_ptr<Subscription> subscribe(gleak::Chan<T> ch) {
    std::lock_guard<gleak::Mutex> g(mu_);
    subs_.push_back(ch);
    auto sub = std::make_shared<Subscription>();
    std::weak_ptr<Feed<T>> weak = this->weak_from_this();
    sub->unsubscribe = [weak, ch] {
      if (auto f = weak.lock()) f->remove(ch);
    };
    return sub;
  }
  int send(const T& v) {
    std::vector<gleak::Chan<T>> subs;
    {
      std::lock_guard<gleak::Mutex> g(mu_);
      subs = subs_;
    }
    for (auto& ch : subs) ch.send(v);
    return static_cast<int>(subs.size());
  }

 private:
  void remove(const gleak::Chan<T>& ch) {
    std::lock_guard<gleak::Mutex> g(mu_);
    subs_.erase(std::remove(subs_.begin(), subs_.end(), ch), subs_.end());
  }
  gleak::Mutex mu_;
  std::vector<gleak::Chan<T>> subs_;
};

struct TxsEvent {
  std::vector<std::string> txs;
};
struct LogsEvent {
  std::vector<std::string> logs;
};
struct RemovedLogsEvent {
  std::vector<std::string> logs;
};
struct ChainEvent {
  long number = 0;
  std::string hash;
};
struct Filter {
  int id = 0;
  std::string kind;
};

struct Backend {
  std::shared_ptr<Feed<TxsEvent>> tx_feed = std::make_shared<Feed<TxsEvent>>();
  std::shared_ptr<Feed<LogsEvent>> logs_feed = std::make_shared<Feed<LogsEvent>>();
  std::shared_ptr<Feed<RemovedLogsEvent>> rm_logs_feed = std::make_shared<Feed<RemovedLogsEvent>>();
  std::shared_ptr<Feed<ChainEvent>> chain_feed = std::make_shared<Feed<ChainEvent>>();
};

class EventSystem : public std::enable_shared_from_this<EventSystem> {
 public:
  explicit EventSystem(Backend& b) {
    txs_sub_ = b.tx_feed->subscribe(txs_ch_);
    logs_sub_ = b.logs_feed->subscribe(logs_ch_);
    rm_logs_sub_ = b.rm_logs_feed->subscribe(rm_logs_ch_);
    chain_sub_ = b.chain_feed->subscribe(chain_ch_);
  }

  void start() {
    gleak::go([self = shared_from_this()] { self->event_loop(); });
  }

  void install(Filter f) { install_.send(std::move(f)); }
  void uninstall(Filter f) { uninstall_.send(std::move(f)); }

 private:
  void event_loop() {
    std::map<int, Filter> index;
    long seen = 0;
    for (;;) {
      bool stop = false;
      auto quit = [&](std::optional<gleak::Error>) { stop = true; };
      gleak::select(gleak::recv_case(txs_ch_, [&](std::optional<TxsEvent> e) { seen += e ? e->txs.size() : 0; }),
                    gleak::recv_case(logs_ch_, [&](std::optional<LogsEvent> e) { seen += e ? e->logs.size() : 0; }),
                    gleak::recv_case(rm_logs_ch_, [&](std::optional<RemovedLogsEvent> e) { seen -= e ? e->logs.size() : 0; }),
                    gleak::recv_case(chain_ch_, [&](std::optional<ChainEvent> e) { seen += e ? 1 : 0; }),
                    gleak::recv_case(install_, [&](std::optional<Filter> f) { if (f) index[f->id] = *f; }),
                    gleak::recv_case(uninstall_, [&](std::optional<Filter> f) { if (f) index.erase(f->id); }),
                    gleak::recv_case(txs_sub_->err, quit), gleak::recv_case(logs_sub_->err, quit),
                    gleak::recv_case(rm_logs_sub_->err, quit), gleak::recv_case(chain_sub_->err, quit));
      if (stop) return;
    }
  }

  gleak::Chan<TxsEvent> txs_ch_{16};
  gleak::Chan<LogsEvent> logs_ch_{10};
  gleak::Chan<RemovedLogsEvent> rm_logs_ch_{10};
  gleak::Chan<ChainEvent> chain_ch_{10};
  gleak::Chan<Filter> install_{0};
  gleak::Chan<Filter> uninstall_{0};
  std::shared_ptr<Subscription> txs_sub_, logs_sub_, rm_logs_sub_, chain_sub_;
};

struct SimulatedBackend {
  Backend backend;
  std::shared_ptr<EventSystem> events;
  long block = 0;

  SimulatedBackend() : events(std::make_shared<EventSystem>(backend)) { events->start(); }

  std::string deploy(const std::string& bytecode) {
    backend.tx_feed->send(TxsEvent{{"0xdeploy:" + bytecode}});
    ++block;
    backend.chain_feed->send(ChainEvent{block, "0xblock" + std::to_string(block)});
    backend.logs_feed->send(LogsEvent{{"OwnershipTransferred"}});
    return "0xcontract" + std::to_string(bytecode.size());
  }
};

}  // namespace

int main() {
  return gleak::run([] {
    std::vector<std::string> deployed;
    for (const char* code : {"6080604052", "608060405234801561"}) {
      auto sim = std::make_unique<SimulatedBackend>();
      sim->events->install(Filter{1, "logs"});
      deployed.push_back(sim->deploy(code));
      sim->events->uninstall(Filter{1, "logs"});
      // BUG: no sim->close(); the backend is dropped with its event loop still running
    }
    std::printf("deployed %zu contracts\n", deployed.size());
    std::printf("ready\n");
    std::fflush(stdout);
    // The test suite goes on with pure computations on the deployed addresses.
    long checksum = 0;
    for (int tick = 0;; ++tick) {
      gleak::sleep(20ms);
      for (auto& a : deployed) checksum = (checksum * 31 + static_cast<long>(a.size()) + tick) % 1000003;
      if (tick % 1000 == 999) std::printf("checksum %ld\n", checksum);
    }
  });
}
