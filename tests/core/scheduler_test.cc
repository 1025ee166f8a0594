// Tests of the scheduler: yield(), spreading work over workers, blocking() and
// set_procs().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class SchedulerTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, SchedulerTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// With one worker and no preemption, who runs when is fully determined.
class SchedulerOneWorkerTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(OneWorker, SchedulerOneWorkerTest, ::testing::Values(1), gleak_test::WorkersName);

// Spreading needs more than one worker.
class SchedulerParallelTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(ManyWorkers, SchedulerParallelTest, ::testing::Values(2, 4), gleak_test::WorkersName);

TEST_P(SchedulerOneWorkerTest, TwoGoroutinesThatYieldRunInterleaved) {
  run([] {
    constexpr int kRounds = 50;
    std::string order;  // one worker: no data race
    gleak::WaitGroup wg;
    wg.add(2);
    for (char name : {'a', 'b'}) {
      gleak::go([&, name] {
        for (int i = 0; i < kRounds; ++i) {
          order += name;
          gleak::yield();
        }
        wg.done();
      });
    }
    wg.wait();
    ASSERT_EQ(order.size(), 2u * kRounds);
    for (size_t i = 1; i < order.size(); ++i) {
      ASSERT_NE(order[i], order[i - 1]) << "at " << i << " in " << order;
    }
  });
}

TEST_P(SchedulerTest, YieldWithNothingElseToRunReturns) {
  run([] {
    for (int i = 0; i < 1000; ++i) gleak::yield();
  });
}

TEST_P(SchedulerParallelTest, GoroutinesRunOnMoreThanOneWorkerThread) {
  run([this] {
    // Each round starts goroutines that work a little, then meet at a barrier that
    // needs all of them: they are all alive at once, and the barrier parks (it never
    // spins), so the round ends whatever the scheduling. Idle workers should steal
    // some of them; a round in which one worker ran everything is possible but
    // unlikely, so try a few rounds.
    const int kPerRound = 4 * GetParam();
    std::set<std::thread::id> threads;
    std::mutex threads_mu;  // guards threads: goroutines of one round run in parallel
    for (int round = 0; round < 200 && threads.size() < 2; ++round) {
      gleak::WaitGroup barrier, finished;
      barrier.add(kPerRound);
      finished.add(kPerRound);
      for (int i = 0; i < kPerRound; ++i) {
        gleak::go([&] {
          auto before = std::this_thread::get_id();
          gleak_test::burn_cpu(20000);
          barrier.done();
          barrier.wait();
          auto after = std::this_thread::get_id();
          {
            std::lock_guard<std::mutex> lk(threads_mu);
            threads.insert(before);
            threads.insert(after);
          }
          finished.done();
        });
      }
      finished.wait();
    }
    EXPECT_GE(threads.size(), 2u);
  });
}

TEST_P(SchedulerTest, BlockingReturnsTheValueOfFn) {
  run([] {
    EXPECT_EQ(gleak::blocking([] { return std::string("from the helper"); }), "from the helper");
    int calls = 0;
    gleak::blocking([&] { ++calls; });  // void fn
    EXPECT_EQ(calls, 1);
  });
}

TEST_P(SchedulerTest, BlockingRunsFnOffTheWorkerThread) {
  run([] {
    auto worker = std::this_thread::get_id();
    auto helper = gleak::blocking([] { return std::this_thread::get_id(); });
    EXPECT_NE(helper, worker);
  });
}

TEST_P(SchedulerTest, BlockingFreesTheWorkerForOtherGoroutines) {
  // fn blocks its (plain) thread until another goroutine sends. With one worker, that
  // goroutine can only run if the worker is not held by the goroutine in blocking().
  run([] {
    Chan<int> signal(0);
    gleak::go([signal] { signal.send(41); });
    int got = gleak::blocking([signal] { return *signal.recv() + 1; });
    EXPECT_EQ(got, 42);
  });
}

TEST_P(SchedulerTest, BlockingRethrowsTheExceptionOfFnInTheGoroutine) {
  run([] {
    const uint64_t me = gleak::goroutine_id();
    std::string what;
    uint64_t caught_on = 0;
    try {
      gleak::blocking([]() -> int { throw std::runtime_error("disk on fire"); });
    } catch (const std::runtime_error& e) {
      what = e.what();
      caught_on = gleak::goroutine_id();
    }
    EXPECT_EQ(what, "disk on fire");
    EXPECT_EQ(caught_on, me);
  });
}

// Rendezvous is a barrier for plain threads (blocking() helpers). Waiting gives up
// after a guard time, and then nobody waits any more, so that a runtime that never
// lets everyone arrive fails the test instead of hanging it. With a correct runtime
// everyone arrives within milliseconds.
class Rendezvous {
 public:
  explicit Rendezvous(int n) : n_(n) {}
  // arrive_and_wait() says whether everyone arrived.
  bool arrive_and_wait() {
    std::unique_lock<std::mutex> lk(mu_);
    ++arrived_;
    cv_.notify_all();
    if (!cv_.wait_for(lk, std::chrono::seconds(5), [&] { return arrived_ >= n_ || broken_; })) broken_ = true;
    cv_.notify_all();
    return !broken_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  int arrived_ = 0;
  bool broken_ = false;
};

TEST_P(SchedulerTest, GoroutinesInBlockingAtOnceEachGetAHelperThread) {
  // Every fn waits until all of them run: kN calls of blocking() need kN helper threads
  // at once. A helper left idle by an earlier call must not make later calls queue
  // behind a fn that blocks.
  run([] {
    constexpr int kN = 8;
    gleak::blocking([] {});  // leaves a helper thread behind
    // Give that helper time to go idle. This sleep synchronises nothing the test
    // checks: a correct runtime passes with or without it; it only sets the stage on
    // which a runtime that hands two calls to one idle helper is caught.
    gleak::sleep(std::chrono::milliseconds(20));
    auto rendezvous = std::make_shared<Rendezvous>(kN);
    Chan<bool> met(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([rendezvous, met] { met.send(gleak::blocking([&] { return rendezvous->arrive_and_wait(); })); });
    }
    int stranded = 0;
    for (int i = 0; i < kN; ++i) stranded += !*met.recv();
    EXPECT_EQ(stranded, 0) << "blocking() calls waited for a helper thread that another blocking() call held";
  });
}

TEST(Blocking, OnAPlainThreadRunsFnInPlace) {
  auto here = std::this_thread::get_id();
  EXPECT_EQ(gleak::blocking([] { return std::this_thread::get_id(); }), here);
}

TEST_P(SchedulerTest, SetProcsChangesTheNumberOfWorkersAndReturnsThePrevious) {
  run([this] {
    const int mine = GetParam();
    const int other = mine == 3 ? 2 : 3;
    EXPECT_EQ(gleak::set_procs(other), mine);
    EXPECT_EQ(gleak::procs(), other);
    // Work still gets done on the new set of workers.
    gleak::WaitGroup wg;
    std::atomic<int> n{0};
    wg.add(100);
    for (int i = 0; i < 100; ++i) {
      gleak::go([&] {
        gleak::yield();
        n.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(n.load(), 100);
    EXPECT_EQ(gleak::set_procs(mine), other);
    EXPECT_EQ(gleak::procs(), mine);
  });
}

TEST_P(SchedulerTest, SetProcsIgnoresOutOfRangeValues) {
  run([this] {
    EXPECT_EQ(gleak::set_procs(0), GetParam());
    EXPECT_EQ(gleak::set_procs(-1), GetParam());
    EXPECT_EQ(gleak::set_procs(100000), GetParam());
    EXPECT_EQ(gleak::procs(), GetParam());
  });
}

TEST(SetProcs, ChangingTheNumberOfWorkersOftenKeepsGoroutinesRunning) {
  // run() with a different Config::procs, or set_procs(), changes the worker set while
  // workers sit idle. Goroutines started afterwards must still run: a lost worker
  // shows up here as a wait() that never returns (the test times out) or a crash.
  const int sequence[] = {4, 1, 2, 1, 4, 2};
  const int before = gleak::procs();
  for (int i = 0; i < 5000; ++i) {
    gleak::set_procs(sequence[i % 6]);
    gleak::WaitGroup wg;
    std::atomic<int> ran{0};
    wg.add(8);
    for (int k = 0; k < 8; ++k) {
      gleak::go([&] {
        gleak::yield();
        ran.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    ASSERT_EQ(ran.load(), 8) << "round " << i;
  }
  gleak::set_procs(before);
}

TEST_P(SchedulerTest, GoroutinesParkedWhileWorkersRetireStillResume) {
  // Shrinking the worker set while goroutines are parked must not lose them.
  run([this] {
    constexpr int kN = 64;
    Chan<Unit> gate(0);
    gleak::WaitGroup parked, finished;
    parked.add(kN);
    finished.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&, gate] {
        parked.done();
        gate.recv();
        gleak::yield();
        finished.done();
      });
    }
    parked.wait();
    gleak::set_procs(1);
    gate.close();
    finished.wait();
    gleak::set_procs(GetParam());
  });
}

}  // namespace
