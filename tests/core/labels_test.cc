// Tests of goroutine labels (gleak::set_label(), gleak::labels()): Go's
// pprof.SetGoroutineLabels, inherited at go().
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gleak/gleak.h"
#include "test_util.h"

namespace {

using gleak::Chan;
using Labels = std::vector<std::pair<std::string, std::string>>;

class LabelsTest : public gleak_test::RuntimeTest {};
INSTANTIATE_TEST_SUITE_P(Workers, LabelsTest, ::testing::Values(1, 2, 4), gleak_test::WorkersName);

TEST_P(LabelsTest, SetOverwriteAndRemoveKeepTheOrderSet) {
  run([] {
    EXPECT_TRUE(gleak::labels().empty());
    EXPECT_TRUE(gleak::set_label("request", "42"));
    EXPECT_TRUE(gleak::set_label("user", "bob"));
    EXPECT_TRUE(gleak::set_label("request", "43"));
    EXPECT_EQ(gleak::labels(), (Labels{{"request", "43"}, {"user", "bob"}}));
    EXPECT_TRUE(gleak::set_label("request", ""));
    EXPECT_EQ(gleak::labels(), (Labels{{"user", "bob"}}));
    EXPECT_TRUE(gleak::set_label("user", ""));
    EXPECT_TRUE(gleak::labels().empty());
  });
}

TEST_P(LabelsTest, WhatCannotBeStoredIsRefusedAndChangesNothing) {
  run([] {
    ASSERT_TRUE(gleak::set_label("k", "v"));
    EXPECT_FALSE(gleak::set_label("", "v"));
    EXPECT_FALSE(gleak::set_label("a=b", "v"));
    EXPECT_FALSE(gleak::set_label("a\nb", "v"));
    EXPECT_FALSE(gleak::set_label("a", "line\nbreak"));
    EXPECT_FALSE(gleak::set_label("long", std::string(55, 'x')));  // "k=v\nlong=" (9) + 55 > 63
    EXPECT_TRUE(gleak::set_label("long", std::string(54, 'x')));   // exactly 63
    EXPECT_EQ(gleak::labels().size(), 2u);
    EXPECT_EQ(gleak::labels()[0], (std::pair<std::string, std::string>{"k", "v"}));
    gleak::set_label("long", "");
    gleak::set_label("k", "");
  });
}

TEST_P(LabelsTest, GoroutinesInheritTheLabelsOfTheirCreatorAtGo) {
  run([] {
    gleak::set_label("request", "7");
    Chan<Labels> seen(0);
    gleak::go([seen] {
      Labels mine = gleak::labels();
      gleak::set_label("stage", "parse");  // the child's own: its parent never sees it
      Chan<Labels> inner(0);
      gleak::go([inner] { inner.send(gleak::labels()); });
      seen.send(mine);
      seen.send(*inner.recv());
    });
    gleak::set_label("request", "8");  // after go(): the child keeps 7
    EXPECT_EQ(*seen.recv(), (Labels{{"request", "7"}}));
    EXPECT_EQ(*seen.recv(), (Labels{{"request", "7"}, {"stage", "parse"}}));
    EXPECT_EQ(gleak::labels(), (Labels{{"request", "8"}}));
    gleak::set_label("request", "");
  });
}

TEST_P(LabelsTest, APlainThreadsLabelsAndBlockingCallsPassThemOn) {
  run([] {
    Chan<Labels> seen(1);
    std::thread t([seen] {
      gleak::set_label("thread", "io");
      gleak::go([seen] { seen.send(gleak::labels()); });
    });
    t.join();
    EXPECT_EQ(*seen.recv(), (Labels{{"thread", "io"}}));
    gleak::set_label("job", "9");
    gleak::blocking([seen] { gleak::go([seen] { seen.send(gleak::labels()); }); });
    EXPECT_EQ(*seen.recv(), (Labels{{"job", "9"}}));
    gleak::set_label("job", "");
  });
}

}  // namespace
