// Tests of goroutines() and write_goroutines() (gleak/stacks.h): every goroutine's
// stack from inside the program, as Go's runtime.Stack(buf, true).
#include "gleak/stacks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;

class StacksTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, StacksTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

[[gnu::noinline]] void wait_for_the_word(Chan<int> words) {
  (void)words.recv();
  asm volatile("");  // keeps the call from being a tail call
}

// children_of() is what goroutines() says of the goroutines parent started (other
// tests' goroutines share the process).
std::vector<gleak::GoroutineInfo> children_of(const std::vector<gleak::GoroutineInfo>& all, uint64_t parent) {
  std::vector<gleak::GoroutineInfo> out;
  for (const auto& g : all) {
    if (g.parent == parent) out.push_back(g);
  }
  return out;
}

// start_waiters() starts three goroutines that wait on words, and returns once
// goroutines() shows all three parked there.
void start_waiters(Chan<int> words) {
  for (int i = 0; i < 3; ++i) gleak::go([words] { wait_for_the_word(words); });
  uint64_t me = gleak::goroutine_id();
  for (;;) {
    auto kids = children_of(gleak::goroutines(), me);
    if (kids.size() == 3 && std::all_of(kids.begin(), kids.end(), [](const auto& g) { return g.state == "chan receive"; })) {
      return;
    }
    gleak::yield();
  }
}

TEST_P(StacksTest, GoroutinesListsTheCallerFirstAndEveryParkedOneWithItsStack) {
  run([] {
    Chan<int> words(0);
    start_waiters(words);
    std::vector<gleak::GoroutineInfo> all = gleak::goroutines();
    ASSERT_FALSE(all.empty());
    EXPECT_TRUE(all[0].current);
    EXPECT_EQ(all[0].id, gleak::goroutine_id());
    EXPECT_EQ(all[0].state, "running");
    ASSERT_FALSE(all[0].stack.empty());
    EXPECT_EQ(all[0].stack[0].function.find("gleak::"), std::string::npos) << all[0].stack[0].function;
    auto kids = children_of(all, gleak::goroutine_id());
    ASSERT_EQ(kids.size(), 3u);
    for (const auto& g : kids) {
      EXPECT_FALSE(g.current);
      ASSERT_FALSE(g.stack.empty());
      EXPECT_NE(g.stack[0].function.find("wait_for_the_word"), std::string::npos) << g.stack[0].function;
      EXPECT_NE(g.stack[0].file.find("stacks_test.cc"), std::string::npos) << g.stack[0].file;
      EXPECT_GT(g.stack[0].line, 0);
      ASSERT_TRUE(g.created_by.has_value());
      EXPECT_NE(g.created_by->function.find("start_waiters"), std::string::npos) << g.created_by->function;
      EXPECT_GE(g.waited.count(), 0);
    }
    words.close();
  });
}

TEST_P(StacksTest, WriteGoroutinesIsGoFormatWithTheCallerFirst) {
  run([] {
    Chan<int> words(0);
    start_waiters(words);
    std::ostringstream out;
    gleak::write_goroutines(out);
    std::string text = out.str();
    std::string first = "goroutine " + std::to_string(gleak::goroutine_id()) + " [running]:\n";
    EXPECT_EQ(text.rfind(first, 0), 0u) << text.substr(0, 400);
    std::size_t waiting = 0;
    for (auto at = text.find("[chan receive]:\n"); at != std::string::npos; at = text.find("[chan receive]:\n", at + 1)) {
      waiting += text.compare(text.find('\n', at) + 1, 17, "(anonymous namesp") == 0 ||
                 text.compare(text.find('\n', at) + 1, 17, "wait_for_the_word") == 0;
    }
    EXPECT_EQ(waiting, 3u) << text;
    EXPECT_NE(text.find("created by "), std::string::npos);
    EXPECT_EQ(text.find("gleak::internal::"), std::string::npos) << "runtime frames shown:\n" << text;
    words.close();
  });
}

TEST_P(StacksTest, FromAPlainThreadThereIsNoCallerGoroutine) {
  run([] {
    Chan<int> words(0);
    start_waiters(words);
    uint64_t me = gleak::goroutine_id();
    std::vector<gleak::GoroutineInfo> all;
    std::string text;
    std::thread t([&] {
      all = gleak::goroutines();
      std::ostringstream out;
      gleak::write_goroutines(out);
      text = out.str();
    });
    t.join();
    EXPECT_TRUE(std::none_of(all.begin(), all.end(), [](const auto& g) { return g.current; }));
    EXPECT_EQ(children_of(all, me).size(), 3u);
    EXPECT_EQ(text.rfind("goroutine ", 0), 0u) << text.substr(0, 200);
    words.close();
  });
}

}  // namespace
