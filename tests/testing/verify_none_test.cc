// Tests of gleak::testing::verify_none() and its options. Every test works inside a
// Scope, so it sees only the goroutines it started itself; goroutines left blocked on
// purpose are released before the test ends.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "gleak/gleak.h"
#include "gleak/testing.h"

namespace gt = gleak::testing;
using gleak::Chan;
using gleak::Unit;
using namespace std::chrono_literals;

// The functions the filters name: out of line and outside an anonymous namespace, so
// that their names are short and each is a frame of its own.
namespace verify_none_test {

[[gnu::noinline]] void park_until(Chan<Unit> release) { release.recv(); }

[[gnu::noinline]] void outer_frame(Chan<Unit> release) {
  park_until(release);
  asm volatile("");  // keeps the frame: no tail call
}

[[gnu::noinline]] void start_parked(Chan<Unit> release) {
  gleak::go([release] { park_until(release); });
}

[[gnu::noinline]] void library_background_loop(Chan<Unit> release) {
  release.recv();
  asm volatile("");
}

}  // namespace verify_none_test

namespace {

using verify_none_test::park_until;

// Short retries for checks that are meant to fail: they fail just as surely, sooner.
const gt::MaxWait kFailFast = gt::max_wait(20ms);

// parked() starts a goroutine blocked until `release` is closed, and waits until it is
// blocked, so the checks below see it whatever the scheduling.
uint64_t parked(Chan<Unit> release, void (*body)(Chan<Unit>) = park_until) {
  Chan<uint64_t> id(1);
  gleak::go(
      [release, id, body] {
        id.send(gleak::goroutine_id());
        body(release);
      });
  return *id.recv();
}

TEST(VerifyNone, SucceedsWhenEveryGoroutineTheScopeStartedHasEnded) {
  gt::Scope scope;
  gleak::WaitGroup wg;
  for (int i = 0; i < 4; ++i) {
    wg.add(1);
    gleak::go([&wg] { wg.done(); });
  }
  wg.wait();
  EXPECT_TRUE(gt::verify_none());
}

TEST(VerifyNone, FailsWithADumpOfAGoroutineLeftBlocked) {
  gt::Scope scope;
  Chan<Unit> release(0);
  uint64_t id = parked(release);
  gleak::yield();
  testing::AssertionResult r = gt::verify_none(kFailFast);
  EXPECT_FALSE(r);
  std::string msg = r.message();
  EXPECT_NE(msg.find("1 goroutine started by this test is still alive"), std::string::npos) << msg;
  EXPECT_NE(msg.find("goroutine " + std::to_string(id) + " [chan receive"), std::string::npos) << msg;
  EXPECT_NE(msg.find("verify_none_test::park_until"), std::string::npos) << msg;
  EXPECT_NE(msg.find("created by "), std::string::npos) << msg;
  release.close();
  EXPECT_TRUE(gt::verify_none());
}

TEST(VerifyNone, AGoroutineThatEndsWithinTheRetryWindowDoesNotFail) {
  gt::Scope scope;
  gleak::go([] { gleak::sleep(20ms); });
  EXPECT_TRUE(gt::verify_none(gt::max_wait(10s)));
}

TEST(VerifyNone, MaxRetriesBoundsTheNumberOfChecks) {
  gt::Scope scope;
  Chan<Unit> release(0);
  parked(release);
  testing::AssertionResult r = gt::verify_none(gt::max_retries(3), gt::max_wait(10s));
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("checked 4 times"), std::string::npos) << r.message();
  release.close();
}

TEST(VerifyNone, MaxWaitBoundsTheTimeSpentRetrying) {
  gt::Scope scope;
  Chan<Unit> release(0);
  parked(release);
  testing::AssertionResult r = gt::verify_none(gt::max_retries(1000000), gt::max_wait(0ms));
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("checked 1 time over 0s"), std::string::npos) << r.message();
  release.close();
}

TEST(VerifyNone, IgnoreTopFunctionSkipsGoroutinesBlockedInThatFunction) {
  gt::Scope scope;
  Chan<Unit> release(0);
  parked(release);
  EXPECT_TRUE(gt::verify_none(gt::ignore_top_function("verify_none_test::park_until")));
  // Only the innermost own frame counts.
  EXPECT_FALSE(gt::verify_none(gt::ignore_top_function("verify_none_test::outer_frame"), kFailFast));
  release.close();
}

TEST(VerifyNone, IgnoreAnyFunctionLooksAtTheWholeStack) {
  gt::Scope scope;
  Chan<Unit> release(0);
  parked(release, verify_none_test::outer_frame);
  EXPECT_TRUE(gt::verify_none(gt::ignore_any_function("verify_none_test::outer_frame")));
  EXPECT_TRUE(gt::verify_none(gt::ignore_any_function("verify_none_test::park_until(gleak::Chan<gleak::Unit>)")));
  EXPECT_FALSE(gt::verify_none(gt::ignore_any_function("verify_none_test::start_parked"), kFailFast));
  release.close();
}

TEST(VerifyNone, IgnoreAnyFunctionAlsoMatchesTheCreator) {
  gt::Scope scope;
  Chan<Unit> release(0);
  verify_none_test::start_parked(release);
  EXPECT_TRUE(gt::verify_none(gt::ignore_any_function("verify_none_test::start_parked")));
  release.close();
}

TEST(VerifyNone, IgnoreCreatedBySkipsGoroutinesStartedInThatFunction) {
  gt::Scope scope;
  Chan<Unit> release(0);
  verify_none_test::start_parked(release);
  EXPECT_TRUE(gt::verify_none(gt::ignore_created_by("verify_none_test::start_parked")));
  EXPECT_FALSE(gt::verify_none(gt::ignore_created_by("verify_none_test::park_until"), kFailFast));
  release.close();
}

TEST(VerifyNone, IgnoreCurrentSkipsOnlyTheGoroutinesThatAlreadyExisted) {
  gt::Scope scope;
  Chan<Unit> release(0);
  uint64_t before = parked(release);
  gt::IgnoreCurrent existing = gt::ignore_current();
  EXPECT_TRUE(gt::verify_none(existing));
  uint64_t after = parked(release);
  testing::AssertionResult r = gt::verify_none(existing, kFailFast);
  EXPECT_FALSE(r);
  std::string msg = r.message();
  EXPECT_NE(msg.find("goroutine " + std::to_string(after) + " ["), std::string::npos) << msg;
  EXPECT_EQ(msg.find("goroutine " + std::to_string(before) + " ["), std::string::npos) << msg;
  release.close();
}

TEST(VerifyNone, DefaultIgnoresRegisteredByALibraryApplyToEveryCheck) {
  gt::register_default_ignores(gt::ignore_top_function("verify_none_test::library_background_loop"));
  gt::Scope scope;
  Chan<Unit> release(0);
  parked(release, verify_none_test::library_background_loop);
  EXPECT_TRUE(gt::verify_none());
  release.close();
}

std::string proof_for_test(const std::vector<uint64_t>& ids) {
  std::string out;
  for (uint64_t id : ids) out += "goroutine " + std::to_string(id) + " waits for a channel nobody else holds\n";
  return out;
}

TEST(VerifyNone, TheLeakProofHookCompletesTheMessage) {
  gt::Scope scope;
  Chan<Unit> release(0);
  uint64_t id = parked(release);
  gt::LeakProofHook old = gt::set_leak_proof_hook(proof_for_test);
  testing::AssertionResult r = gt::verify_none(kFailFast);
  gt::set_leak_proof_hook(old);
  EXPECT_NE(std::string(r.message()).find("leak proof:\ngoroutine " + std::to_string(id) + " waits for a channel"),
            std::string::npos)
      << r.message();
  release.close();
}

TEST(VerifyNone, GoroutinesOfADescendantCountForTheScopeThatStartedItsAncestor) {
  gt::Scope scope;
  Chan<Unit> release(0);
  Chan<uint64_t> grandchild(1);
  gleak::go([release, grandchild] {
    gleak::go([release, grandchild] {
      grandchild.send(gleak::goroutine_id());
      release.recv();
    });
  });
  uint64_t id = *grandchild.recv();
  testing::AssertionResult r = gt::verify_none(kFailFast);
  EXPECT_NE(std::string(r.message()).find("goroutine " + std::to_string(id) + " [chan receive"), std::string::npos)
      << r.message();
  release.close();
}

TEST(VerifyNone, WorksFromAGoroutineAndLeavesTheCallerOut) {
  gleak::run([] {
    gt::Scope scope;
    Chan<int> out(0);
    gleak::go([out] { out.send(42); });
    EXPECT_EQ(out.recv(), 42);
    EXPECT_TRUE(gt::verify_none());
    Chan<Unit> release(0);
    uint64_t id = parked(release);
    testing::AssertionResult r = gt::verify_none(kFailFast);
    EXPECT_FALSE(r);
    std::string msg = r.message();
    EXPECT_NE(msg.find("1 goroutine started"), std::string::npos) << msg;
    EXPECT_NE(msg.find("goroutine " + std::to_string(id) + " [chan receive"), std::string::npos) << msg;
    release.close();
  });
}

TEST(VerifyNone, ConcurrentScopesAreCheckedApart) {
  // Two "tests" at once on two threads: one leaves a goroutine blocked while the
  // other, which leaves nothing, checks; each check sees only its own goroutines.
  Chan<Unit> release(0);
  std::latch leaked(1);
  std::latch checked(1);
  uint64_t leaked_id = 0;
  testing::AssertionResult leaky_result = testing::AssertionSuccess();
  testing::AssertionResult clean_result = testing::AssertionFailure();
  std::thread leaky([&] {
    gt::Scope scope;
    leaked_id = parked(release);
    leaked.count_down();
    checked.wait();
    leaky_result = gt::verify_none(kFailFast);
  });
  std::thread clean([&] {
    gt::Scope scope;
    leaked.wait();
    Chan<int> out(0);
    gleak::go([out] { out.send(1); });
    out.recv();
    clean_result = gt::verify_none();
    checked.count_down();
  });
  leaky.join();
  clean.join();
  EXPECT_TRUE(clean_result) << clean_result.message();
  EXPECT_FALSE(leaky_result);
  std::string msg = leaky_result.message();
  EXPECT_NE(msg.find("1 goroutine started by this test"), std::string::npos) << msg;
  EXPECT_NE(msg.find("goroutine " + std::to_string(leaked_id) + " [chan receive"), std::string::npos) << msg;
  release.close();
}

// Options are types: each function takes only those that apply to it.
template <class O>
concept Verifiable = requires(O o) { gt::verify_none(o); };
template <class O>
concept Installable = requires(O o) { gt::install(o); };
template <class O>
concept IgnorableInATest = requires(O o) { gt::ignore_in_this_test(o); };
template <class O>
concept DefaultIgnorable = requires(O o) { gt::register_default_ignores(o); };

static_assert(Verifiable<gt::IgnoreCurrent> && Verifiable<gt::MaxRetries> && Verifiable<gt::IgnoreCreatedBy>);
static_assert(!Verifiable<int> && !Verifiable<std::string>);
static_assert(Installable<gt::MaxWait> && Installable<gt::IgnoreTopFunction>);
static_assert(!Installable<gt::IgnoreCurrent>);
static_assert(IgnorableInATest<gt::IgnoreAnyFunction> && !IgnorableInATest<gt::IgnoreCurrent>);
static_assert(DefaultIgnorable<gt::IgnoreCreatedBy> && !DefaultIgnorable<gt::MaxRetries> &&
              !DefaultIgnorable<gt::MaxWait> && !DefaultIgnorable<gt::IgnoreCurrent>);

}  // namespace
