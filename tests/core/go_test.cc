// Tests of go(), run(), procs(), goroutine ids and counts, and of blocking calls made
// from plain threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <concepts>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "gleak/detail/group.h"
#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::Unit;

class GoTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, GoTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(GoTest, ArgumentsAreCopiedAtTheCallSoLaterChangesAreNotSeen) {
  run([] {
    std::string s = "before";
    Chan<Unit> go_on(0);
    Chan<std::string> seen(1);
    // The parameter is a reference: only a copy made by go() keeps "before".
    gleak::go(
        [go_on, seen](const std::string& v) {
          go_on.recv();
          seen.send(v);
        },
        s);
    s = "after";
    go_on.send(Unit{});
    EXPECT_EQ(seen.recv(), "before");
  });
}

TEST_P(GoTest, ALoopVariablePassedByValueIsSeenPerIteration) {
  run([] {
    constexpr int kN = 100;
    Chan<int> seen(kN);
    gleak::WaitGroup wg;
    for (int i = 0; i < kN; ++i) {
      wg.add(1);
      gleak::go(
          [&wg, seen](int v) {
            seen.send(v);
            wg.done();
          },
          i);
    }
    wg.wait();
    seen.close();
    std::vector<int> got(seen.begin(), seen.end());
    std::sort(got.begin(), got.end());
    std::vector<int> want(kN);
    for (int i = 0; i < kN; ++i) want[i] = i;
    EXPECT_EQ(got, want);
  });
}

TEST_P(GoTest, MoveOnlyArgumentsAreMovedIntoTheGoroutine) {
  run([] {
    Chan<int> out(1);
    auto p = std::make_unique<int>(7);
    gleak::go([](std::unique_ptr<int> q, Chan<int> o) { o.send(*q * 6); }, std::move(p), out);
    EXPECT_EQ(out.recv(), 42);
  });
}

TEST_P(GoTest, LargeClosuresAreCopiedWhole) {
  // Closures beyond the descriptor's inline room take another path.
  run([] {
    std::array<int, 256> big{};
    for (int i = 0; i < 256; ++i) big[i] = i * 3;
    Chan<long> out(1);
    gleak::go([big, out] {
      long sum = 0;
      for (int v : big) sum += v;
      out.send(sum);
    });
    EXPECT_EQ(out.recv(), 3L * 255 * 256 / 2);
  });
}

TEST_P(GoTest, GoReturnsWhileTheChildIsStillBlocked) {
  run([] {
    Chan<Unit> release(0);
    Chan<Unit> finished(0);
    gleak::go([release, finished] {
      release.recv();
      finished.send(Unit{});
    });
    // Had go() waited for the child, nobody would be left to release it.
    release.send(Unit{});
    finished.recv();
  });
}

// The child of go() runs only when the parent blocks, with one worker and no
// preemption: the parent continues first.
class GoOneWorkerTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(OneWorker, GoOneWorkerTest, ::testing::Values(1), gleak_test::WorkersName);

TEST_P(GoOneWorkerTest, TheParentContinuesBeforeTheChildRuns) {
  run([] {
    auto child_ran = std::make_shared<std::atomic<bool>>(false);
    Chan<Unit> done(0);
    gleak::go([child_ran, done] {
      child_ran->store(true);
      done.send(Unit{});
    });
    EXPECT_FALSE(child_ran->load());
    done.recv();
    EXPECT_TRUE(child_ran->load());
  });
}

TEST_P(GoTest, RunReturnsTheIntThatMainReturns) {
  Chan<int> from_child(1);
  int got = gleak::run(std::function<int()>([from_child] {
                         gleak::go([from_child] { from_child.send(6 * 7); });
                         return *from_child.recv();
                       }),
                       gleak::Config{.procs = GetParam()});
  EXPECT_EQ(got, 42);
}

TEST_P(GoTest, RunOfAVoidMainReturnsZero) {
  bool ran = false;
  int got = gleak::run([&] { ran = true; }, gleak::Config{.procs = GetParam()});
  EXPECT_TRUE(ran);
  EXPECT_EQ(got, 0);
}

// RunCallable says whether gleak::run(f, config) compiles for f.
template <class F>
concept RunCallable = requires(F f) { gleak::run(std::move(f), gleak::Config{}); };

TEST(RunOverloads, RunAcceptsALambdaReturningInt) {
  // `return gleak::run([] { ...; return 1; });` is the natural way to use run()'s int
  // result, but a lambda returning int converts to both std::function<int()> and
  // std::function<void()>, so the two overloads of run() make the call ambiguous.
  auto int_main = [] { return 1; };
  auto void_main = [] {};
  EXPECT_TRUE(RunCallable<decltype(void_main)>);
  EXPECT_TRUE(RunCallable<decltype(int_main)>)
      << "gleak::run([] { return 1; }) does not compile: call of overloaded run() is ambiguous";
}

TEST_P(GoTest, ProcsInsideRunEqualsConfigProcs) {
  run([this] { EXPECT_EQ(gleak::procs(), GetParam()); });
}

TEST_P(GoTest, GoroutineIdsAreNonZeroAndDistinct) {
  run([] {
    constexpr int kN = 200;
    Chan<uint64_t> ids(kN);
    gleak::WaitGroup wg;
    wg.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&wg, ids] {
        ids.send(gleak::goroutine_id());
        wg.done();
      });
    }
    wg.wait();
    ids.close();
    std::set<uint64_t> distinct;
    distinct.insert(gleak::goroutine_id());  // main's
    for (uint64_t id : ids) {
      EXPECT_NE(id, 0u);
      distinct.insert(id);
    }
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kN + 1));
    EXPECT_EQ(distinct.count(0), 0u);
  });
}

TEST_P(GoTest, AGoroutineKeepsItsIdAcrossParking) {
  run([] {
    Chan<Unit> ping(0);
    Chan<std::pair<uint64_t, uint64_t>> out(1);
    gleak::go([ping, out] {
      uint64_t before = gleak::goroutine_id();
      for (int i = 0; i < 100; ++i) ping.recv();  // may resume on another worker
      out.send({before, gleak::goroutine_id()});
    });
    for (int i = 0; i < 100; ++i) ping.send(Unit{});
    auto ids = *out.recv();
    EXPECT_NE(ids.first, 0u);
    EXPECT_EQ(ids.first, ids.second);
  });
}

TEST_P(GoTest, AGoroutineTakesTheGroupOfTheThreadOrGoroutineThatStartedIt) {
  const uint32_t group = gleak::detail::new_group();
  const uint32_t before = gleak::detail::set_current_group(group);
  Chan<uint32_t> seen(3);
  run([seen] {
    seen.send(gleak::detail::current_group());  // run()'s main goroutine, started on this thread
    gleak::WaitGroup wg;
    wg.add(1);
    gleak::go([&wg, seen] {
      gleak::WaitGroup inner;
      inner.add(1);
      gleak::go([&inner, seen] {
        seen.send(gleak::detail::current_group());
        inner.done();
      });
      inner.wait();
      // Changing a goroutine's group changes it for what it starts from then on.
      const uint32_t other = gleak::detail::new_group();
      gleak::detail::set_current_group(other);
      inner.add(1);
      gleak::go([&inner, seen, other] {
        seen.send(gleak::detail::current_group() == other ? 1u : 0u);
        inner.done();
      });
      inner.wait();
      wg.done();
    });
    wg.wait();
  });
  gleak::detail::set_current_group(before);
  EXPECT_EQ(seen.recv(), group);
  EXPECT_EQ(seen.recv(), group);
  EXPECT_EQ(seen.recv(), 1u);
}

TEST_P(GoTest, WhatABlockingCallStartsBelongsToTheCallersGroup) {
  run([] {
    const uint32_t group = gleak::detail::new_group();
    gleak::detail::set_current_group(group);
    Chan<uint32_t> seen(1);
    gleak::blocking([seen] { gleak::go([seen] { seen.send(gleak::detail::current_group()); }); });
    EXPECT_EQ(seen.recv(), group);
  });
}

TEST(Groups, NewGroupsAreDistinctAndNeverZero) {
  std::set<uint32_t> groups;
  for (int i = 0; i < 1000; ++i) groups.insert(gleak::detail::new_group());
  EXPECT_EQ(groups.size(), 1000u);
  EXPECT_EQ(groups.count(0), 0u);
}

TEST(Groups, LiveGoroutinesListsAGroupsGoroutinesUntilTheyExit) {
  const uint32_t group = gleak::detail::new_group();
  const uint32_t before = gleak::detail::set_current_group(group);
  Chan<Unit> release(0);
  Chan<uint64_t> id(1);
  gleak::go([release, id] {
    id.send(gleak::goroutine_id());
    release.recv();
  });
  gleak::detail::set_current_group(before);
  const uint64_t started = *id.recv();
  std::vector<gleak::detail::GoroutineBrief> live = gleak::detail::live_goroutines(group);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].id, started);
  EXPECT_EQ(live[0].group, group);
  release.close();
  // It exits on its own now; the first look that misses it ends the wait.
  while (!gleak::detail::live_goroutines(group).empty()) gleak::yield();
}

TEST(GoroutineId, IsZeroOnAPlainThread) {
  EXPECT_EQ(gleak::goroutine_id(), 0u);
  uint64_t on_thread = 1;
  std::thread t([&] { on_thread = gleak::goroutine_id(); });
  t.join();
  EXPECT_EQ(on_thread, 0u);
}

TEST_P(GoTest, NumGoroutineCountsParkedGoroutinesUntilTheyExit) {
  run([] {
    constexpr int kN = 50;
    gleak::WaitGroup parked;
    Chan<Unit> gate(0);
    parked.add(kN);
    for (int i = 0; i < kN; ++i) {
      gleak::go([&parked, gate] {
        parked.done();
        gate.recv();
      });
    }
    parked.wait();
    const int64_t during = gleak::num_goroutine();
    EXPECT_GE(during, kN + 1);  // the parked ones and main
    gate.close();
    // They exit after being released: the count drops by at least kN.
    while (gleak::num_goroutine() > during - kN) gleak::yield();
  });
}

// In a fresh process the count is exact: main alone, then main and its children.
void print_goroutine_counts(int procs) {
  int64_t alone = -1, with_children = -1;
  gleak::run(
      [&] {
        alone = gleak::num_goroutine();
        gleak::WaitGroup started;
        Chan<Unit> gate(0);
        started.add(10);
        for (int i = 0; i < 10; ++i) {
          gleak::go([&started, gate] {
            started.done();
            gate.recv();
          });
        }
        started.wait();
        with_children = gleak::num_goroutine();
        gate.close();
      },
      gleak::Config{.procs = procs});
  std::fprintf(stderr, "alone=%lld with_children=%lld\n", static_cast<long long>(alone),
               static_cast<long long>(with_children));
  std::fflush(stderr);
  std::_Exit(0);
}

class GoFreshProcessTest : public gleak_test::DeathTest {};
INSTANTIATE_TEST_SUITE_P(Workers, GoFreshProcessTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(GoFreshProcessTest, NumGoroutineIsExactInAFreshProcess) {
  EXPECT_EXIT(print_goroutine_counts(GetParam()), ::testing::ExitedWithCode(0), "alone=1 with_children=11\n");
}

// GLEAK_PROCS is read when the runtime starts, so these run in a child process, where
// the runtime has not started yet.
void print_default_procs(const char* env) {
  setenv("GLEAK_PROCS", env, 1);
  int in_run = -1;
  gleak::run([&] { in_run = gleak::procs(); });  // Config{}: procs = 0, the default
  std::fprintf(stderr, "procs=%d cpus=%ld\n", in_run, sysconf(_SC_NPROCESSORS_ONLN));
  std::fflush(stderr);
  std::_Exit(0);
}

class GleakProcsEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(GleakProcsEnvTest, SetsTheDefaultNumberOfWorkers) {
  EXPECT_EXIT(print_default_procs("3"), ::testing::ExitedWithCode(0), "procs=3 cpus=");
}

TEST_F(GleakProcsEnvTest, AnInvalidValueIsIgnoredWithAWarning) {
  const std::string cpus = std::to_string(std::clamp<long>(sysconf(_SC_NPROCESSORS_ONLN), 1, 256));
  EXPECT_EXIT(print_default_procs("0"), ::testing::ExitedWithCode(0),
              "gleak: ignoring GLEAK_PROCS=0.*\nprocs=" + cpus + " cpus=" + cpus + "\n");
}

// ---- blocking calls from plain threads ------------------------------------------------

// The workers run the goroutines; the test body itself is a plain thread.
class PlainThreadTest : public gleak_test::RuntimeTest {
 protected:
  void SetUp() override {
    gleak_test::RuntimeTest::SetUp();
    gleak::set_procs(GetParam());
  }
};
INSTANTIATE_TEST_SUITE_P(Workers, PlainThreadTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(PlainThreadTest, GoAndWaitGroupWaitWorkFromATestBody) {
  gleak::WaitGroup wg;
  std::atomic<int> n{0};
  wg.add(100);
  for (int i = 0; i < 100; ++i) {
    gleak::go([&] {
      n.fetch_add(1);
      wg.done();
    });
  }
  wg.wait();
  EXPECT_EQ(n.load(), 100);
}

TEST_P(PlainThreadTest, ChannelReceiveBlocksAStdThreadUntilAGoroutineSends) {
  Chan<int> ch(0);
  Chan<Unit> thread_waiting(1);
  std::optional<int> got;
  std::thread t([&] {
    thread_waiting.send(Unit{});
    got = ch.recv();
  });
  thread_waiting.recv();
  gleak::go([ch] { ch.send(5); });
  t.join();
  EXPECT_EQ(got, 5);
}

TEST_P(PlainThreadTest, ChannelSendBlocksAStdThreadUntilAGoroutineReceives) {
  Chan<int> ch(0);
  Chan<int> relay(1);
  gleak::go([ch, relay] { relay.send(*ch.recv() + 1); });
  std::thread t([&] { ch.send(41); });
  t.join();
  EXPECT_EQ(relay.recv(), 42);
}

TEST_P(PlainThreadTest, SelectBlocksAStdThreadUntilACaseIsReady) {
  Chan<int> a(0), b(0);
  int index = -1, value = 0;
  std::thread t([&] {
    index = gleak::select(gleak::recv_case(a, [&](std::optional<int> v) { value = *v; }),
                          gleak::recv_case(b, [&](std::optional<int> v) { value = *v; }));
  });
  gleak::go([b] { b.send(9); });
  t.join();
  EXPECT_EQ(index, 1);
  EXPECT_EQ(value, 9);
}

TEST_P(PlainThreadTest, MutexIsSharedBetweenStdThreadsAndGoroutines) {
  gleak::Mutex mu;
  int counter = 0;  // not atomic: the mutex protects it
  constexpr int kEach = 2000;
  gleak::WaitGroup wg;
  wg.add(4);
  for (int g = 0; g < 4; ++g) {
    gleak::go([&] {
      for (int i = 0; i < kEach; ++i) {
        std::lock_guard<gleak::Mutex> lk(mu);
        ++counter;
      }
      wg.done();
    });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        std::lock_guard<gleak::Mutex> lk(mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  wg.wait();
  EXPECT_EQ(counter, 6 * kEach);
}

}  // namespace
