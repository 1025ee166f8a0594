// The zero-leak listener end to end: listener_target runs with it installed and writes
// GoogleTest's XML report, which is read back with expat; the tests that left
// goroutines must have failed, each with its own goroutines in the message, and only
// those.
#include <expat.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/child_process.h"

namespace {

struct TestCase {
  bool failed = false;
  std::string message;
};

// Reads <testcase name=.. classname=..><failure message=..>text</failure></testcase>.
struct Parse {
  std::map<std::string, TestCase> cases;
  std::string current;
  bool in_failure = false;

  static void start(void* self, const char* name, const char** attrs) {
    auto* p = static_cast<Parse*>(self);
    std::map<std::string, std::string> a;
    for (int i = 0; attrs[i]; i += 2) a[attrs[i]] = attrs[i + 1];
    if (std::string(name) == "testcase") {
      p->current = a["classname"] + "." + a["name"];
      p->cases[p->current];
    } else if (std::string(name) == "failure") {
      p->cases[p->current].failed = true;
      p->in_failure = true;
    }
  }
  static void end(void* self, const char* name) {
    if (std::string(name) == "failure") static_cast<Parse*>(self)->in_failure = false;
  }
  static void text(void* self, const char* s, int len) {
    auto* p = static_cast<Parse*>(self);
    if (p->in_failure) p->cases[p->current].message.append(s, static_cast<std::size_t>(len));
  }
};

class Listener : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    gleak::testing_support::ArenaDir dir;
    std::string xml = dir.path() + "/report.xml";
    std::string out;
    status_ = gleak::testing_support::run_command(
        std::string(GLEAK_LISTENER_TARGET) + " --gtest_output=xml:" + xml + " 2>&1", &out);
    output_ = out;
    std::ifstream in(xml);
    std::stringstream ss;
    ss << in.rdbuf();
    XML_Parser parser = XML_ParserCreate(nullptr);
    XML_SetUserData(parser, &parse_);
    XML_SetElementHandler(parser, Parse::start, Parse::end);
    XML_SetCharacterDataHandler(parser, Parse::text);
    std::string doc = ss.str();
    parsed_ = XML_Parse(parser, doc.data(), static_cast<int>(doc.size()), 1) == XML_STATUS_OK;
    XML_ParserFree(parser);
  }

  static const TestCase& result(const std::string& name) { return parse_.cases[name]; }

  static inline int status_ = -1;
  static inline std::string output_;
  static inline Parse parse_;
  static inline bool parsed_ = false;
};

TEST_F(Listener, TheRunFailsAndItsReportParses) {
  EXPECT_EQ(status_, 1) << output_;
  ASSERT_TRUE(parsed_) << output_;
  EXPECT_EQ(parse_.cases.size(), 7u) << output_;
}

TEST_F(Listener, ATestThatLeavesAGoroutineFailsWithItsDump) {
  const TestCase& t = result("Leaky.LeavesASenderWhoseReceiverGaveUp");
  EXPECT_TRUE(t.failed) << output_;
  EXPECT_NE(t.message.find("1 goroutine started by Leaky.LeavesASenderWhoseReceiverGaveUp is still alive"),
            std::string::npos)
      << t.message;
  EXPECT_NE(t.message.find("[chan send"), std::string::npos) << t.message;
  // The default proof: the leak analysis of the test process (gleak::find_leaks()).
  EXPECT_NE(t.message.find("\nleak proof:\ngoroutine "), std::string::npos) << t.message;
  EXPECT_NE(t.message.find(" [chan send] can never finish (no-exit-path): nothing that can still run refers to"),
            std::string::npos)
      << t.message;
  // The failure points at the test, not at the listener.
  EXPECT_NE(t.message.find("listener_target.cc:"), std::string::npos) << t.message;
  EXPECT_EQ(t.message.find("testing.cc:"), std::string::npos) << t.message;
  EXPECT_NE(t.message.find("created by Leaky_LeavesASenderWhoseReceiverGaveUp_Test::TestBody"), std::string::npos)
      << t.message;
}

TEST_F(Listener, TestsThatLeaveNothingPass) {
  EXPECT_FALSE(result("Clean.JoinsEverythingItStarts").failed) << output_;
}

TEST_F(Listener, ALaterTestIsNotBlamedForAGoroutineAnEarlierOneLeft) {
  EXPECT_FALSE(result("Outlived.AGoroutineLeftByAnEarlierTestIsNotBlamedOnThisOne").failed)
      << result("Outlived.AGoroutineLeftByAnEarlierTestIsNotBlamedOnThisOne").message;
}

TEST_F(Listener, AGoroutineEndingWithinTheRetryWindowDoesNotFailItsTest) {
  EXPECT_FALSE(result("Slow.AGoroutineEndingWithinTheRetryWindowPasses").failed)
      << result("Slow.AGoroutineEndingWithinTheRetryWindowPasses").message;
}

TEST_F(Listener, GoroutinesStartedThroughDescendantsAreAttributedToTheTest) {
  const TestCase& t = result("InRun.AGrandchildOfTheMainGoroutineIsTheTestsToo");
  EXPECT_TRUE(t.failed) << output_;
  EXPECT_NE(t.message.find("1 goroutine started by InRun.AGrandchildOfTheMainGoroutineIsTheTestsToo"), std::string::npos)
      << t.message;
  EXPECT_NE(t.message.find("listener_target::wait_forever"), std::string::npos) << t.message;
}

TEST_F(Listener, IgnoresAskedForByATestApplyToThatTestOnly) {
  EXPECT_FALSE(result("Ignored.ATestThatLeavesAGoroutineOnPurposeSaysSo").failed)
      << result("Ignored.ATestThatLeavesAGoroutineOnPurposeSaysSo").message;
  const TestCase& t = result("Ignored.TheIgnoreEndsWithTheTestThatAskedForIt");
  EXPECT_TRUE(t.failed) << output_;
  EXPECT_NE(t.message.find("1 goroutine started by Ignored.TheIgnoreEndsWithTheTestThatAskedForIt"), std::string::npos)
      << t.message;
}

}  // namespace
