// Tests of WaitGroup, Mutex, RWMutex, Once and Cond.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class SyncTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, SyncTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// Orders of arrival at a lock are only defined with one worker, where a goroutine
// runs until it parks.
class SyncOneWorkerTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(OneWorker, SyncOneWorkerTest, ::testing::Values(1), gleak_test::WorkersName);

// ---- WaitGroup ---------------------------------------------------------------------

TEST_P(SyncTest, WaitGroupWaitReturnsOnceEveryGoroutineCalledDone) {
  run([] {
    constexpr int kN = 100;
    gleak::WaitGroup wg;
    std::atomic<int> finished{0};
    wg.add(kN);
    EXPECT_EQ(wg.count(), kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&] {
        gleak::yield();
        finished.fetch_add(1);
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(finished.load(), kN);
    EXPECT_EQ(wg.count(), 0);
  });
}

TEST_P(SyncTest, WaitGroupWaitWithZeroCounterReturnsAtOnce) {
  run([] {
    gleak::WaitGroup wg;
    wg.wait();
    wg.add(2);
    wg.add(-2);
    wg.wait();
    EXPECT_EQ(wg.count(), 0);
  });
}

TEST_P(SyncTest, WaitGroupNegativeCounterPanics) {
  run([] {
    gleak::WaitGroup wg;
    wg.add(1);
    wg.done();
    auto p = gleak::recover([&] { wg.done(); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "sync: negative WaitGroup counter");
  });
}

TEST_P(SyncTest, WaitGroupReleasesEveryWaiter) {
  run([] {
    constexpr int kWaiters = 10;
    gleak::WaitGroup wg, arrived, released;
    wg.add(1);
    arrived.add(kWaiters);
    released.add(kWaiters);
    auto passed = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < kWaiters; ++i) {
      gleak::go([&, passed] {
        arrived.done();
        wg.wait();
        passed->fetch_add(1);
        released.done();
      });
    }
    arrived.wait();
    EXPECT_EQ(passed->load(), 0);  // wg's counter is still 1
    wg.done();
    released.wait();
    EXPECT_EQ(passed->load(), kWaiters);
  });
}

// ---- Mutex ---------------------------------------------------------------------------

TEST_P(SyncTest, MutexTryLockFailsWhileLockedAndSucceedsWhenFree) {
  run([] {
    gleak::Mutex mu;
    EXPECT_TRUE(mu.try_lock());
    EXPECT_FALSE(mu.try_lock());
    mu.unlock();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(SyncTest, MutexRecordsItsOwnerGoroutine) {
  run([] {
    gleak::Mutex mu;
    EXPECT_EQ(mu.owner(), 0u);
    mu.lock();
    EXPECT_EQ(mu.owner(), gleak::goroutine_id());
    mu.unlock();
    EXPECT_EQ(mu.owner(), 0u);
  });
}

TEST_P(SyncTest, MutexExcludesGoroutinesUnderContention) {
  run([] {
    constexpr int kGoroutines = 8, kEach = 2000;
    gleak::Mutex mu;
    int counter = 0;          // not atomic: the mutex protects it
    int inside = 0;           // goroutines inside the critical section
    int max_inside = 0;
    gleak::WaitGroup wg;
    wg.add(kGoroutines);
    for (int g = 0; g < kGoroutines; ++g) {
      gleak::go([&] {
        for (int i = 0; i < kEach; ++i) {
          mu.lock();
          max_inside = std::max(max_inside, ++inside);
          int v = counter;
          if (i % 64 == 0) gleak::yield();  // hold the lock across a switch: others park
          counter = v + 1;
          --inside;
          mu.unlock();
        }
        wg.done();
      });
    }
    wg.wait();
    std::lock_guard<gleak::Mutex> lk(mu);
    EXPECT_EQ(counter, kGoroutines * kEach);
    EXPECT_EQ(max_inside, 1);
  });
}

TEST_P(SyncTest, MutexWorksWithStdLockGuardAndUniqueLock) {
  run([] {
    gleak::Mutex mu;
    {
      std::lock_guard<gleak::Mutex> lk(mu);
      EXPECT_FALSE(mu.try_lock());
    }
    {
      std::unique_lock<gleak::Mutex> lk(mu, std::try_to_lock);
      EXPECT_TRUE(lk.owns_lock());
      std::unique_lock<gleak::Mutex> again(mu, std::try_to_lock);
      EXPECT_FALSE(again.owns_lock());
      lk.unlock();
      EXPECT_TRUE(mu.try_lock());
      mu.unlock();
    }
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(SyncTest, MutexUnlockOfUnlockedMutexPanics) {
  run([] {
    gleak::Mutex mu;
    auto p = gleak::recover([&] { mu.unlock(); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "sync: unlock of unlocked mutex");
    EXPECT_TRUE(mu.try_lock());  // still usable
    mu.unlock();
  });
}

TEST_P(SyncTest, MutexLockedByOneGoroutineCanBeUnlockedByAnother) {
  run([] {
    gleak::Mutex mu;
    mu.lock();
    Chan<Unit> done(0);
    gleak::go([&mu, done] {
      mu.unlock();
      done.send(Unit{});
    });
    done.recv();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(SyncOneWorkerTest, MutexHandsTheLockToWaitersInArrivalOrder) {
  run([] {
    constexpr int kWaiters = 6;
    gleak::Mutex mu;
    std::vector<int> arrivals, acquisitions;  // one worker: no data race
    gleak::WaitGroup arrived, finished;
    arrived.add(kWaiters);
    finished.add(kWaiters);
    mu.lock();
    for (int i = 0; i < kWaiters; ++i) {
      gleak::go([&, i] {
        arrivals.push_back(i);
        arrived.done();
        mu.lock();  // parks: main holds the mutex
        acquisitions.push_back(i);
        gleak::yield();  // let the others try to barge in
        mu.unlock();
        finished.done();
      });
    }
    arrived.wait();
    mu.unlock();
    finished.wait();
    ASSERT_EQ(arrivals.size(), static_cast<size_t>(kWaiters));
    EXPECT_EQ(acquisitions, arrivals);
  });
}

// ---- RWMutex -------------------------------------------------------------------------

TEST_P(SyncTest, RWMutexAdmitsManyReadersAtOnce) {
  run([] {
    // Each reader holds the read lock until all of them hold it: exclusive readers
    // would never get there.
    constexpr int kReaders = 8;
    gleak::RWMutex rw;
    gleak::WaitGroup all_in, finished;
    all_in.add(kReaders);
    finished.add(kReaders);
    for (int i = 0; i < kReaders; ++i) {
      gleak::go([&] {
        rw.lock_shared();
        all_in.done();
        all_in.wait();
        rw.unlock_shared();
        finished.done();
      });
    }
    all_in.wait();
    finished.wait();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST_P(SyncTest, RWMutexTryLockSharedSucceedsWhileReadersHoldIt) {
  run([] {
    gleak::RWMutex rw;
    rw.lock_shared();
    EXPECT_TRUE(rw.try_lock_shared());
    EXPECT_FALSE(rw.try_lock());
    rw.unlock_shared();
    rw.unlock_shared();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST_P(SyncTest, RWMutexWriterExcludesReaders) {
  run([] {
    gleak::RWMutex rw;
    rw.lock();
    Chan<Unit> started(1);
    auto reading = std::make_shared<std::atomic<bool>>(false);
    gleak::WaitGroup done;
    done.add(1);
    gleak::go([&, reading] {
      started.send(Unit{});
      rw.lock_shared();
      reading->store(true);
      rw.unlock_shared();
      done.done();
    });
    started.recv();
    EXPECT_FALSE(rw.try_lock_shared());
    EXPECT_FALSE(reading->load());  // the writer still holds the lock
    rw.unlock();
    done.wait();
    EXPECT_TRUE(reading->load());
  });
}

TEST_P(SyncTest, RWMutexWritersExcludeEachOther) {
  run([] {
    constexpr int kWriters = 6, kEach = 1000;
    gleak::RWMutex rw;
    int counter = 0;  // not atomic: the write lock protects it
    gleak::WaitGroup wg;
    wg.add(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      gleak::go([&] {
        for (int i = 0; i < kEach; ++i) {
          std::lock_guard<gleak::RWMutex> lk(rw);
          int v = counter;
          if (i % 64 == 0) gleak::yield();
          counter = v + 1;
        }
        wg.done();
      });
    }
    wg.wait();
    std::shared_lock<gleak::RWMutex> lk(rw);
    EXPECT_EQ(counter, kWriters * kEach);
  });
}

TEST_P(SyncTest, RWMutexReadersAndWritersSeeConsistentState) {
  run([] {
    // Writers keep two counters equal; readers must never see them differ.
    constexpr int kWriters = 3, kReaders = 5, kEach = 500;
    gleak::RWMutex rw;
    int a = 0, b = 0;
    std::atomic<int> torn{0};
    gleak::WaitGroup wg;
    wg.add(kWriters + kReaders);
    for (int w = 0; w < kWriters; ++w) {
      gleak::go([&] {
        for (int i = 0; i < kEach; ++i) {
          rw.lock();
          ++a;
          if (i % 16 == 0) gleak::yield();
          ++b;
          rw.unlock();
        }
        wg.done();
      });
    }
    for (int r = 0; r < kReaders; ++r) {
      gleak::go([&] {
        for (int i = 0; i < kEach; ++i) {
          rw.lock_shared();
          int x = a;
          if (i % 16 == 0) gleak::yield();
          if (b != x) torn.fetch_add(1);
          rw.unlock_shared();
        }
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(torn.load(), 0);
    EXPECT_EQ(a, kWriters * kEach);
    EXPECT_EQ(b, kWriters * kEach);
  });
}

TEST_P(SyncTest, RWMutexWaitingWriterBlocksNewReaders) {
  run([] {
    gleak::RWMutex rw;
    std::vector<std::string> order;
    gleak::Mutex order_mu;
    auto log = [&](const char* what) {
      std::lock_guard<gleak::Mutex> lk(order_mu);
      order.emplace_back(what);
    };
    rw.lock_shared();  // the first reader: main
    gleak::WaitGroup done;
    done.add(2);
    Chan<Unit> writer_starting(1);
    gleak::go([&] {
      writer_starting.send(Unit{});
      rw.lock();
      log("writer");
      rw.unlock();
      done.done();
    });
    writer_starting.recv();
    // Wait until the writer is queued: from then on new readers are kept out. (With
    // one worker it is queued already; without writer preference this never ends.)
    while (rw.try_lock_shared()) {
      rw.unlock_shared();
      gleak::yield();
    }
    gleak::go([&] {
      rw.lock_shared();  // a new reader, after the writer
      log("late reader");
      rw.unlock_shared();
      done.done();
    });
    gleak::yield();
    rw.unlock_shared();
    done.wait();
    EXPECT_EQ(order, (std::vector<std::string>{"writer", "late reader"}));
  });
}

TEST_P(SyncOneWorkerTest, RWMutexReadersWaitingWhenAWriterUnlocksGoBeforeTheNextWriter) {
  run([] {
    gleak::RWMutex rw;
    std::vector<std::string> order;  // one worker: no data race
    gleak::WaitGroup queued, done;
    queued.add(2);
    done.add(2);
    rw.lock();
    gleak::go([&] {
      queued.done();
      rw.lock_shared();
      order.emplace_back("reader");
      gleak::yield();
      rw.unlock_shared();
      done.done();
    });
    gleak::go([&] {
      queued.done();
      rw.lock();
      order.emplace_back("writer");
      rw.unlock();
      done.done();
    });
    queued.wait();
    rw.unlock();
    done.wait();
    EXPECT_EQ(order, (std::vector<std::string>{"reader", "writer"}));
  });
}

TEST_P(SyncTest, RWMutexWorksWithStdSharedLock) {
  run([] {
    gleak::RWMutex rw;
    {
      std::shared_lock<gleak::RWMutex> r1(rw);
      std::shared_lock<gleak::RWMutex> r2(rw, std::try_to_lock);
      EXPECT_TRUE(r2.owns_lock());
      EXPECT_FALSE(rw.try_lock());
    }
    {
      std::unique_lock<gleak::RWMutex> w(rw);
      std::shared_lock<gleak::RWMutex> r(rw, std::try_to_lock);
      EXPECT_FALSE(r.owns_lock());
    }
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST_P(SyncTest, RWMutexUnlockOfUnlockedRWMutexPanics) {
  run([] {
    gleak::RWMutex rw;
    EXPECT_TRUE(gleak::recover([&] { rw.unlock(); }).has_value());
    EXPECT_TRUE(gleak::recover([&] { rw.unlock_shared(); }).has_value());
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST_P(SyncTest, RWMutexRUnlockWhileAWriterHoldsItPanicsAndTheWriterKeepsIt) {
  run([] {
    gleak::RWMutex rw;
    rw.lock();
    auto p = gleak::recover([&] { rw.unlock_shared(); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "sync: RUnlock of unlocked RWMutex");
    EXPECT_FALSE(rw.try_lock_shared());  // still held for writing
    rw.unlock();
    EXPECT_TRUE(rw.try_lock_shared());
    rw.unlock_shared();
  });
}

// expect_signal_wakes_a_waiter() starts a goroutine that waits on cond (under mu) for a
// flag, sets the flag and signals once wait() has released mu, and waits for the waiter
// to return with mu relocked.
void expect_signal_wakes_a_waiter(gleak::Mutex& mu, gleak::Cond& cond) {
  bool ready = false;
  Chan<Unit> waiting(1);
  gleak::WaitGroup done;
  done.add(1);
  gleak::go([&] {
    std::unique_lock<gleak::Mutex> lk(mu);
    waiting.send(Unit{});  // still holding mu
    while (!ready) cond.wait();
    EXPECT_EQ(mu.owner(), gleak::goroutine_id());  // relocked
    done.done();
  });
  waiting.recv();
  {
    std::lock_guard<gleak::Mutex> lk(mu);  // only possible once wait() released it
    ready = true;
    cond.signal();
  }
  done.wait();
}

// A Cond waited on without its mutex held panics as Go's Unlock does, before the
// goroutine joins the queue: no waiter is left behind on a stack that unwound, and the
// Cond works afterwards.
TEST_P(SyncTest, CondWaitWithoutTheLockPanicsAndLeavesNoWaiterBehind) {
  run([] {
    gleak::Mutex mu;
    gleak::Cond cond(mu);
    for (int i = 0; i < 3; ++i) {
      auto p = gleak::recover([&] { cond.wait(); });
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->message, "sync: unlock of unlocked mutex");
    }
    cond.broadcast();  // would wake the stale waiters of an unwound stack
    expect_signal_wakes_a_waiter(mu, cond);
  });
}

// Go: "WaitGroup is reused before previous Wait has returned". With one worker the
// waiter is parked when the counter drops to zero and is raised again at once.
TEST_P(SyncOneWorkerTest, WaitGroupReusedBeforeItsWaiterReturnedPanicsInTheWaiter) {
  run([] {
    gleak::WaitGroup wg;
    wg.add(1);
    Chan<std::string> got(1);
    gleak::go([&] {
      auto p = gleak::recover([&] { wg.wait(); });
      got.send(p ? p->message : std::string("returned"));
    });
    gleak::yield();  // the waiter runs until it parks in wait()
    wg.done();       // releases it ...
    wg.add(1);       // ... and begins a new round before it ran
    EXPECT_EQ(*got.recv(), "sync: WaitGroup is reused before previous Wait has returned");
    wg.done();
    wg.wait();
  });
}

// ---- Once ------------------------------------------------------------------------------

TEST_P(SyncTest, OnceRunsItsFunctionOnceUnderConcurrency) {
  run([] {
    constexpr int kCallers = 20;
    gleak::Once once;
    std::atomic<int> runs{0};
    gleak::WaitGroup wg;
    wg.add(kCallers);
    for (int i = 0; i < kCallers; ++i) {
      gleak::go([&] {
        once.call([&] {
          runs.fetch_add(1);
          gleak::yield();  // let the other callers arrive meanwhile
        });
        wg.done();
      });
    }
    wg.wait();
    EXPECT_EQ(runs.load(), 1);
  });
}

TEST_P(SyncTest, OnceMakesOtherCallersWaitUntilTheFunctionReturns) {
  run([] {
    constexpr int kCallers = 8;
    gleak::Once once;
    Chan<Unit> inside(1), release(0);
    std::atomic<bool> finished{false};
    std::atomic<int> returned_early{0};
    gleak::WaitGroup wg;
    wg.add(kCallers + 1);
    gleak::go([&] {
      once.call([&] {
        inside.send(Unit{});
        release.recv();
        finished.store(true);
      });
      wg.done();
    });
    inside.recv();  // the first call is running
    for (int i = 0; i < kCallers; ++i) {
      gleak::go([&] {
        once.call([] {});
        if (!finished.load()) returned_early.fetch_add(1);
        wg.done();
      });
    }
    gleak::yield();
    release.send(Unit{});
    wg.wait();
    EXPECT_EQ(returned_early.load(), 0);
  });
}

TEST_P(SyncTest, OnceCountsAPanickingCallAsDone) {
  run([] {
    gleak::Once once;
    auto p = gleak::recover([&] { once.call([] { gleak::panic("init failed"); }); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->message, "init failed");
    bool ran_again = false;
    once.call([&] { ran_again = true; });
    EXPECT_FALSE(ran_again);
  });
}

// ---- Cond ------------------------------------------------------------------------------

TEST_P(SyncTest, CondWaitReleasesTheMutexAndSignalWakesTheWaiter) {
  run([] {
    gleak::Mutex mu;
    gleak::Cond cond(mu);
    expect_signal_wakes_a_waiter(mu, cond);
  });
}

TEST_P(SyncTest, CondBroadcastWakesEveryWaiter) {
  run([] {
    constexpr int kWaiters = 10;
    gleak::Mutex mu;
    gleak::Cond cond(mu);
    bool go_on = false;
    int waiting = 0;
    gleak::WaitGroup all_waiting, done;
    all_waiting.add(kWaiters);
    done.add(kWaiters);
    for (int i = 0; i < kWaiters; ++i) {
      gleak::go([&] {
        std::lock_guard<gleak::Mutex> lk(mu);
        ++waiting;
        all_waiting.done();
        while (!go_on) cond.wait();
        --waiting;
        done.done();
      });
    }
    all_waiting.wait();
    {
      std::lock_guard<gleak::Mutex> lk(mu);
      EXPECT_EQ(waiting, kWaiters);  // every waiter is in wait(), mutex released
      go_on = true;
      cond.broadcast();
    }
    done.wait();
    std::lock_guard<gleak::Mutex> lk(mu);
    EXPECT_EQ(waiting, 0);
  });
}

TEST_P(SyncTest, CondSignalWithoutWaitersDoesNothing) {
  run([] {
    gleak::Mutex mu;
    gleak::Cond cond(mu);
    cond.signal();
    cond.broadcast();
    EXPECT_TRUE(mu.try_lock());
    mu.unlock();
  });
}

TEST_P(SyncTest, CondGuardsABoundedQueueBetweenProducersAndConsumers) {
  run([] {
    constexpr int kProducers = 4, kConsumers = 4, kEach = 1000, kBound = 8;
    gleak::Mutex mu;
    gleak::Cond not_empty(mu), not_full(mu);
    std::deque<int> queue;
    int producers_left = kProducers;
    int64_t sum = 0, count = 0;
    gleak::WaitGroup wg;
    wg.add(kProducers + kConsumers);
    for (int p = 0; p < kProducers; ++p) {
      gleak::go([&, p] {
        for (int i = 0; i < kEach; ++i) {
          std::lock_guard<gleak::Mutex> lk(mu);
          while (queue.size() >= kBound) not_full.wait();
          queue.push_back(p * kEach + i);
          not_empty.signal();
        }
        std::lock_guard<gleak::Mutex> lk(mu);
        if (--producers_left == 0) not_empty.broadcast();
        wg.done();
      });
    }
    for (int c = 0; c < kConsumers; ++c) {
      gleak::go([&] {
        for (;;) {
          std::lock_guard<gleak::Mutex> lk(mu);
          while (queue.empty() && producers_left > 0) not_empty.wait();
          if (queue.empty()) break;
          sum += queue.front();
          ++count;
          queue.pop_front();
          not_full.signal();
        }
        wg.done();
      });
    }
    wg.wait();
    const int64_t total = int64_t{kProducers} * kEach;
    EXPECT_EQ(count, total);
    EXPECT_EQ(sum, total * (total - 1) / 2);
  });
}

}  // namespace
