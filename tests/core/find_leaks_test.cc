// Tests of gleak::find_leaks(), the leak analysis a program runs on itself.
#include "gleak/leaks.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using gleak::LeakCertainty;

class FindLeaksTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, FindLeaksTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

// proven_of() counts the proven findings among goroutines started by goroutine parent:
// the tests share one process, and earlier tests leave their leaks behind.
std::size_t proven_of(const gleak::LeakReport& r, uint64_t parent) {
  std::size_t n = 0;
  for (const gleak::LeakFinding& f : r.findings) n += f.parent == parent && f.certainty == LeakCertainty::kProven;
  return n;
}

// start_abandoned_sender() starts a goroutine that sends on a channel only it knows
// (the receiver gave up) and returns its id once it is about to block.
uint64_t start_abandoned_sender() {
  Chan<uint64_t> id(1);
  gleak::go([id] {
    Chan<int> reply(0);
    id.send(gleak::goroutine_id());
    reply.send(1);  // no one will ever receive
  });
  return *id.recv();
}

TEST_P(FindLeaksTest, ProvesAGoroutineSendingOnAChannelNoOneHasLeaked) {
  run([this] {
    uint64_t leaked = start_abandoned_sender();
    abandon(1);
    // It may not have parked yet: ask again until it has (the analysis is exact about
    // what it saw, so each answer is either "not yet blocked" or the proof).
    gleak::LeakReport r;
    for (int i = 0; i < 50 && !r.proven(leaked); ++i) r = gleak::find_leaks();
    ASSERT_TRUE(r.proven(leaked)) << r.text;
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(proven_of(r, gleak::goroutine_id()), 1u) << r.text;
    for (const gleak::LeakFinding& f : r.findings) {
      if (f.goroutine != leaked) continue;
      EXPECT_EQ(f.check, "no-exit-path");
      EXPECT_EQ(f.wait_reason, "chan send");
      EXPECT_EQ(f.parent, gleak::goroutine_id());
    }
    EXPECT_NE(r.text.find("[chan send (leaked)"), std::string::npos) << r.text;
    EXPECT_NE(r.json.find("\"schema\": \"gleak.leaks\""), std::string::npos);
  });
}

TEST_P(FindLeaksTest, AGoroutineBlockedOnAChannelTheCallerHoldsIsNotLeaked) {
  run([] {
    auto ch = std::make_shared<Chan<int>>(0);
    Chan<int> started(0);
    gleak::go([ch, started] {
      started.send(1);
      ch->send(5);
    });
    started.recv();
    gleak::LeakReport r = gleak::find_leaks();
    EXPECT_EQ(proven_of(r, gleak::goroutine_id()), 0u) << r.text;
    EXPECT_EQ(*ch->recv(), 5);
  });
}

TEST_P(FindLeaksTest, WorksFromAPlainThread) {
  run([this] {
    uint64_t leaked = start_abandoned_sender();
    abandon(1);
    gleak::LeakReport r;
    std::thread t([&] {
      for (int i = 0; i < 50 && !r.proven(leaked); ++i) r = gleak::find_leaks();
    });
    t.join();
    EXPECT_TRUE(r.proven(leaked)) << r.text;
  });
}

TEST(FindLeaksErrors, ABadGleakCommandIsAClearError) {
  setenv("GLEAK_CLI", "/nonexistent/gleak", 1);
  try {
    gleak::find_leaks();
    ADD_FAILURE() << "find_leaks() did not throw";
  } catch (const gleak::LeakAnalysisError& e) {
    EXPECT_NE(std::string(e.what()).find("GLEAK_CLI"), std::string::npos) << e.what();
  }
  unsetenv("GLEAK_CLI");
}

}  // namespace
