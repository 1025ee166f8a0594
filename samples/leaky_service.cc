// A small order service that keeps serving while some of its goroutines have leaked, in
// the ways real services leak them. Nothing here helps the analysis: handles go out of
// scope in inner blocks, helpers are inlined, main keeps working.
//
//   - a price lookup raced against a timeout: when the timeout wins, the lookup's
//     goroutine blocks for ever sending its answer nobody reads;
//   - a batch whose error path returns without Done(): the flusher waits for ever;
//   - an audit log whose early return keeps its mutex: later writers block for ever;
//   - a worker pool fed by main's request loop: its idle workers are blocked, but not
//     leaked (main still feeds the jobs channel): `gleak leaks --why` says why.
//
// Run it, then `gleak leaks <pid>` and `gleak leaks <pid> --why <id of a pool worker>`.
#include <gleak/gleak.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

struct Order {
  int id = 0;
  long cents = 0;
};

// price() asks the pricing backend, but gives up after `budget`.
std::optional<long> price(int item, gleak::Duration budget, gleak::Duration backend_latency) {
  gleak::Chan<long> answer(0);
  gleak::go([answer, item, backend_latency] {
    gleak::sleep(backend_latency);  // the backend's round trip
    answer.send(100L * item);       // BUG: blocks for ever once the caller gave up
  });
  std::optional<long> got;
  gleak::select(gleak::recv_case(answer, [&](std::optional<long> v) { got = v; }),
                gleak::recv_case(gleak::after(budget), [](std::optional<gleak::TimePoint>) {}));
  return got;
}

struct Batch {
  gleak::WaitGroup pending;
  std::vector<Order> orders;
  gleak::Mutex mu;
};

// submit() writes a batch of orders in parallel, then flushes it once all are written.
void submit(std::vector<Order> orders) {
  auto batch = std::make_shared<Batch>();
  batch->pending.add(static_cast<int>(orders.size()));
  for (const Order& o : orders) {
    gleak::go([batch, o] {
      if (o.cents <= 0) return;  // BUG: a rejected order never calls Done()
      std::lock_guard<gleak::Mutex> g(batch->mu);
      batch->orders.push_back(o);
      batch->pending.done();
    });
  }
  gleak::go([batch] {
    batch->pending.wait();  // the flusher
    std::printf("flushed %zu orders\n", batch->orders.size());
  });
}

struct AuditLog {
  gleak::Mutex mu;
  std::vector<std::string> lines;
  bool rotating = false;
};

int main_loop() {
  // The worker pool that serves requests: main feeds `jobs` for ever.
  gleak::Chan<Order> jobs(0);
  gleak::Chan<long> done(16);
  for (int w = 0; w < 4; ++w) {
    gleak::go([jobs, done] {
      for (Order o : jobs) done.send(o.cents);
    });
  }

  {
    // A slow pricing backend: the 2 ms budget loses to its 50 ms latency.
    if (!price(7, 2ms, 50ms)) std::printf("price lookup timed out\n");
    if (!price(9, 2ms, 50ms)) std::printf("price lookup timed out\n");
  }
  {
    submit({{1, 1200}, {2, 0}, {3, 800}});  // order 2 is rejected
  }
  {
    auto log = std::make_shared<AuditLog>();
    gleak::go([log] {
      log->mu.lock();
      log->rotating = true;
      if (log->lines.empty()) return;  // BUG: returns holding the lock
      log->mu.unlock();
    });
    for (int i = 0; i < 2; ++i) {
      gleak::go([log, i] {
        gleak::sleep(10ms);
        std::lock_guard<gleak::Mutex> g(log->mu);
        log->lines.push_back("request " + std::to_string(i));
      });
    }
  }

  std::printf("serving\n");
  std::fflush(stdout);
  long revenue = 0;
  for (int tick = 0;; ++tick) {
    gleak::sleep(20ms);
    if (tick % 5 == 0) {
      jobs.send(Order{tick, 100L + tick});
      revenue += *done.recv();
    }
    if (tick % 500 == 499) std::printf("revenue %ld\n", revenue);
  }
}

}  // namespace

int main() { return gleak::run(main_loop); }
